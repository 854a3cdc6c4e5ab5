//! Printed invitations for the post-office fieldwork: one A4 page per person (Vietnamese), with
//! the QR code of their invitation, the short address and the code to type, and how to answer
//! on paper instead; all in one print-ready HTML file with page breaks.

use anyhow::Context;
use base64::Engine;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::{find, Result, WaveState};
use crate::db::{self, audit::Actor, Conn};
use crate::desks::qr;
use crate::domain::invitation::Invitation;
use crate::views::Views;

#[derive(Serialize)]
struct Letter {
    name: String,
    address: String,
    agency: String,
    agency_code: String,
    /// `data:image/png;base64,…` of the QR code.
    qr: String,
    link: String,
    code: String,
}

#[derive(Serialize)]
struct LettersPage<'a> {
    sender: &'a str,
    wave: String,
    year: i16,
    date: String,
    short_url: String,
    letters: Vec<Letter>,
}

/// What to print.
pub struct LetterRequest<'a> {
    pub wave_id: i32,
    /// Who signs the letter, e.g. "Sở Nội vụ tỉnh …".
    pub sender: &'a str,
    /// Only the invited people without an e-mail address.
    pub without_email: bool,
    pub base_url: &'a str,
    pub today: NaiveDate,
}

/// The letters of a wave in fieldwork as one HTML document, and how many; audited (the
/// document holds names and addresses).
pub fn letters_html(
    conn: &mut Conn,
    views: &Views,
    key: &[u8],
    actor: &Actor,
    req: &LetterRequest<'_>,
) -> Result<(String, usize)> {
    let w = find(conn, req.wave_id)?;
    if w.state != WaveState::Fieldwork {
        refuse!(
            "wave {} is {}: letters are printed once its fieldwork has started (sipas wave start)",
            req.wave_id,
            w.state.as_str();
            "Đợt {} đang ở trạng thái “{}”: chỉ in thư mời khi đã bắt đầu khảo sát",
            req.wave_id,
            w.state.label_vi()
        );
    }
    let units = db::fieldwork::letter_units(conn, req.wave_id, req.without_email)?;
    let base = req.base_url.trim_end_matches('/');
    let mut letters = Vec::with_capacity(units.len());
    for u in units {
        let code = Invitation { unit_id: u.unit_id }.sign(key);
        let link = format!("{base}/s/{code}");
        let png = qr::png_of(&link, 240).context("drawing a QR code")?;
        letters.push(Letter {
            name: u.name.unwrap_or_default(),
            address: u.address,
            agency: u.agency_name,
            agency_code: u.agency_code,
            qr: format!(
                "data:image/png;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(png)
            ),
            link,
            code: Invitation::grouped(&code),
        });
    }
    let n = letters.len();
    let page = LettersPage {
        sender: req.sender,
        wave: w.row.name.clone(),
        year: w.row.year,
        date: format!(
            "ngày {} tháng {} năm {}",
            req.today.day(),
            req.today.month(),
            req.today.year()
        ),
        short_url: format!("{base}/s"),
        letters,
    };
    let html = views.render("letters.html", &page)?;
    db::audit::record(
        conn,
        actor,
        "wave.letters",
        &req.wave_id.to_string(),
        None,
        Some(serde_json::json!({"letters": n, "without_email": req.without_email})),
    )?;
    Ok((html, n))
}
