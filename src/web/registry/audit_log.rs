//! The audit log's page, filtered by action, actor and days.

use super::*;

// ---- the audit log ----

#[derive(Deserialize)]
pub struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    entity: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn date(raw: &Option<String>) -> Result<Option<NaiveDate>, PageError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                PageError::staff(Fault::BadRequest).saying("Ngày phải có dạng YYYY-MM-DD.")
            }),
    }
}

/// How many entries one page shows; the filters narrow it down.
const AUDIT_PAGE: i64 = 500;

pub async fn audit_log(
    state: web::Data<AppState>,
    admin: AdminUser,
    q: web::Query<AuditQuery>,
) -> StaffResult {
    let nonempty = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let filter = audit::Filter {
        actor: nonempty(&q.actor),
        action: nonempty(&q.action),
        entity_id: nonempty(&q.entity),
        from: date(&q.from)?,
        to: date(&q.to)?,
    };
    let f = filter.clone();
    let entries = staff_query(&state, move |c| audit::list(c, &f, AUDIT_PAGE)).await?;
    let page = AuditPage {
        shell: admin.0.frame(&state.key, Lang::Vi),
        actions: [
            ("", "Mọi thay đổi (trừ đăng nhập)"),
            ("agency", "Cơ quan"),
            ("desk", "Quầy"),
            ("desk.rotate_key", "Thu hồi mã QR"),
            ("user", "Tài khoản"),
            ("api_token", "Mã API"),
            ("target", "Mục tiêu"),
            ("par_rule", "Điểm CCHC"),
            ("publication", "Công bố"),
            ("held", "Đánh giá bị giữ lại"),
            ("wave", "Khảo sát hằng năm"),
            ("paper", "Phiếu giấy"),
            ("outbox", "Thư điện tử"),
            ("session", "Đăng nhập, đăng xuất"),
            ("login", "Tạm chặn đăng nhập"),
        ]
        .into_iter()
        .map(|(v, l)| Choice::new(v.into(), l.into()))
        .collect(),
        truncated: entries.len() as i64 == AUDIT_PAGE,
        rows: entries.into_iter().map(AuditRow::from).collect(),
        actor: filter.actor.unwrap_or_default(),
        action: filter.action.unwrap_or_default(),
        entity: filter.entity_id.unwrap_or_default(),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
    };
    render(&state, StatusCode::OK, "registry_audit.html", &page).map_err(PageError::staff)
}
