//! Issuing receipts for a one-stop system (issue #19): every receipt of a request or none,
//! each with its single-use token, its short URL and its QR codes' URLs. Shared by the API
//! (one receipt, or a batch) and `sipas receipts import` (a CSV file).

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::db::audit::Actor;
use crate::db::receipts::{self, NewReceipt, Placed, Refused};
use crate::db::users::Scope;
use crate::db::{Conn, DbError};
use crate::domain::receipt::{self, ReceiptRequest, ReceiptToken};
use crate::domain::FieldError;

/// What the issuer gets back for one dossier.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Issued {
    pub dossier_code: String,
    /// `false` when the dossier had this receipt already (the request was a repeat).
    pub created: bool,
    pub receipt_token: String,
    pub url: String,
    pub qr_svg_url: String,
    pub qr_png_url: String,
    pub expires_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// Fields refused, each named; nothing was issued.
    #[error("receipts refused")]
    Refused(Vec<FieldError>),
    #[error(transparent)]
    Database(#[from] DbError),
}

/// The URL a receipt's QR code and SMS carry: `{base}/r/{token}`.
pub fn receipt_url(base: &str, token: &str) -> String {
    format!("{}/r/{token}", base.trim_end_matches('/'))
}

/// What issuing needs besides the requests: the key, the public base URL, a receipt's
/// lifetime in days, today in Vietnam, who issues and within which agencies.
pub struct Issuer<'a> {
    pub key: &'a [u8],
    pub base: &'a str,
    pub lifetime_days: u32,
    pub today: NaiveDate,
    pub actor: &'a Actor,
    pub scope: Scope,
}

/// Issues every receipt of `requests` or none. A refusal names the field of the request at
/// `position(k)` (e.g. `receipts[3].agency_code`, or `line 4: agency_code`).
pub fn issue(
    conn: &mut Conn,
    issuer: &Issuer,
    requests: &[ReceiptRequest],
    position: impl Fn(usize) -> String,
) -> Result<Vec<Issued>, IssueError> {
    let batch: Vec<NewReceipt> = requests
        .iter()
        .map(|r| NewReceipt {
            request: r,
            dossier_hash: receipt::dossier_hash(issuer.key, &r.agency_code, &r.dossier_code),
            expires_on: r
                .returned_on
                .checked_add_days(Days::new(u64::from(issuer.lifetime_days)))
                .unwrap_or(r.returned_on),
        })
        .collect();
    let placed = receipts::issue(conn, issuer.actor, issuer.scope, &batch)
        .map_err(|e| IssueError::Database(e.into()))?;
    match placed {
        Ok(placed) => Ok(placed
            .into_iter()
            .zip(requests)
            .map(|(p, r)| {
                let (row, created) = match p {
                    Placed::Created(row) => (row, true),
                    Placed::Existing(row) => (row, false),
                };
                let token = ReceiptToken { receipt_id: row.id }.sign(issuer.key);
                let url = receipt_url(issuer.base, &token);
                Issued {
                    dossier_code: r.dossier_code.clone(),
                    created,
                    qr_svg_url: format!("{url}/qr.svg"),
                    qr_png_url: format!("{url}/qr.png"),
                    url,
                    receipt_token: token,
                    expires_at: receipt::expires_at(row.expires_on),
                }
            })
            .collect()),
        Err(refused) => Err(IssueError::Refused(
            refused
                .into_iter()
                .map(|(k, why)| refusal(&position(k), why))
                .collect(),
        )),
    }
}

fn refusal(at: &str, why: Refused) -> FieldError {
    match why {
        Refused::UnknownAgency => FieldError::new(
            format!("{at}agency_code"),
            "Không có cơ quan đang hoạt động nào mang mã này trong phạm vi của hệ thống.",
            "no active agency has this code within the system's agencies",
        ),
        Refused::UnknownDesk => FieldError::new(
            format!("{at}desk_id"),
            "Quầy này không thuộc cơ quan đã nêu.",
            "no desk of this id belongs to the agency named",
        ),
    }
}
