//! Home Affairs publishes a closed period (`/admin/publications`): the results are computed
//! once from the raw ratings, frozen and chained (`results::publication`), then shown on the
//! public page.

use actix_web::http::StatusCode;
use actix_web::web;
use chrono::NaiveDate;

use super::errors::{Fault, PageError};
use super::guard::AdminUser;
use super::{render, see_other, staff_query, StaffResult};
use crate::db;
use crate::domain::period_kind;
use crate::results::publication::{self, NotPublished, Preview};
use crate::state::AppState;
use crate::views::registry::{ConfirmPage, PublicationsPage};
use crate::views::Lang;

type Fields = web::Form<Vec<(String, String)>>;

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

async fn page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    errors: Vec<String>,
    from: &str,
    to: &str,
) -> StaffResult {
    let list = staff_query(state, db::publications::list).await?;
    let page = PublicationsPage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        published: list
            .iter()
            .rev()
            .map(|p| {
                (
                    p.id,
                    period_kind::name_vi(p.period_from, p.period_to),
                    p.sha256.clone(),
                )
            })
            .collect(),
        errors,
        from: from.to_owned(),
        to: to.to_owned(),
    };
    render(state, status, "registry_publications.html", &page).map_err(PageError::staff)
}

pub async fn publications(state: web::Data<AppState>, admin: AdminUser) -> StaffResult {
    page(&state, &admin, StatusCode::OK, Vec::new(), "", "").await
}

pub async fn publish(state: web::Data<AppState>, admin: AdminUser, form: Fields) -> StaffResult {
    let (from_raw, to_raw) = (field(&form, "from"), field(&form, "to"));
    let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let (Some(from), Some(to)) = (date(from_raw), date(to_raw)) else {
        let why = "Vui lòng nhập ngày bắt đầu và ngày kết thúc dạng YYYY-MM-DD.".to_owned();
        return page(
            &state,
            &admin,
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![why],
            from_raw,
            to_raw,
        )
        .await;
    };
    let actor = admin.0.actor();
    let form_spec = state.ingest.desk_form.clone();
    let today = crate::results::periods::today_in_vietnam();
    // Publishing is final: the first post shows what would be frozen and asks again.
    let confirmed = field(&form, "confirm") == "yes";
    let outcome = db::run_job::<_, anyhow::Error, _>(&state.pool, move |c| {
        Ok(if confirmed {
            publication::publish(c, &actor, &form_spec, from, to, "desk_qr", today)?.map(Err)
        } else {
            publication::preview(c, &form_spec, from, to, "desk_qr", today)?.map(Ok)
        })
    })
    .await
    .map_err(|e| PageError::staff(Fault::database(e)))?;
    let why = match outcome {
        Ok(Err(id)) => return Ok(see_other(&format!("/public/{id}"))),
        Ok(Ok(preview)) => return confirm_page(&state, &admin, from, to, &preview),
        Err(NotPublished::NotClosed) => {
            "Chỉ công bố được kỳ đã kết thúc: ngày kết thúc phải trước hôm nay.".to_owned()
        }
        Err(NotPublished::Backwards) => {
            "Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.".to_owned()
        }
        Err(NotPublished::AlreadyPublished) => {
            "Kỳ này đã được công bố; số liệu đã công bố không được tính lại.".to_owned()
        }
        Err(NotPublished::Overlaps(id, f, t)) => format!(
            "Kỳ này chồng lên kỳ đã công bố {} (bản số {id}). Chỉ các kỳ theo lịch (tháng, quý, \
             6 tháng, năm) được công bố lồng nhau; kỳ tự chọn không được chồng lên kỳ nào đã \
             công bố, vì phần chênh lệch giữa hai kỳ sẽ lộ ra số liệu của một nhóm nhỏ.",
            period_kind::name_vi(f, t)
        ),
    };
    page(
        &state,
        &admin,
        StatusCode::UNPROCESSABLE_ENTITY,
        vec![why],
        from_raw,
        to_raw,
    )
    .await
}

/// The page that says what publishing the period would freeze and asks to confirm.
fn confirm_page(
    state: &AppState,
    admin: &AdminUser,
    from: NaiveDate,
    to: NaiveDate,
    p: &Preview,
) -> StaffResult {
    let mut facts = vec![
        format!(
            "{} cơ quan có đánh giá, {} lượt đánh giá qua mã QR tại quầy;",
            p.agencies, p.ratings
        ),
        format!(
            "chỉ số của cơ quan có từ {} câu trả lời hợp lệ trở lên được công bố, kèm khoảng tin cậy 95%;",
            crate::results::MIN_N
        ),
    ];
    if p.held > 0 {
        facts.push(format!(
            "{} lượt đánh giá của kỳ đang bị giữ lại chờ xem xét sẽ không được tính — \
             hãy xem xét ở trang Giữ lại trước nếu cần.",
            p.held
        ));
    }
    let page = ConfirmPage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        title: format!("Công bố kết quả {}?", p.name),
        lead: format!(
            "Kết quả {} (từ {} đến {}) của mọi cơ quan sẽ được tính từ các phiếu đánh giá, \
             đóng băng và đưa lên trang công khai:",
            p.name,
            from.format("%d/%m/%Y"),
            to.format("%d/%m/%Y")
        ),
        facts,
        warning: "Sau khi công bố, số liệu của kỳ không được sửa, xoá hay tính lại; phiếu đến \
                  muộn và các quyết định trả về sau này không làm thay đổi bản đã công bố."
            .to_owned(),
        action: "/admin/publications".to_owned(),
        fields: vec![
            ("from".into(), from.to_string()),
            ("to".into(), to.to_string()),
        ],
        button: format!("Công bố {}", p.name),
        back: "/admin/publications".to_owned(),
    };
    render(state, StatusCode::OK, "admin_confirm.html", &page).map_err(PageError::staff)
}
