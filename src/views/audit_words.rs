//! The audit log in words (issue #20, point 6): what each recorded action did, as a Home Affairs
//! officer would say it, with the numbers that matter; the JSON stays one click away.

use serde_json::Value;

/// What an action is called on the page.
pub fn action_vi(action: &str) -> &'static str {
    match action {
        "agency.create" => "thêm cơ quan",
        "agency.update" => "sửa cơ quan",
        "agency.disable" => "ngừng cơ quan",
        "agency.enable" => "mở lại cơ quan",
        "desk.create" => "thêm quầy",
        "desk.update" => "sửa quầy",
        "desk.disable" => "ngừng quầy",
        "desk.enable" => "mở lại quầy",
        "desk.rotate_key" => "thu hồi mã QR đã in của quầy",
        "user.create" => "tạo tài khoản",
        "user.update" => "sửa tài khoản",
        "user.disable" => "khoá tài khoản",
        "user.enable" => "mở khoá tài khoản",
        "api_token.create" => "cấp mã API",
        "api_token.revoke" => "thu hồi mã API",
        "session.start" => "đăng nhập",
        "session.end" => "đăng xuất",
        "login.backoff" => "bị tạm chặn đăng nhập sau nhiều lần sai mật khẩu",
        "target.set" => "đặt mục tiêu",
        "par_rule.set" => "đặt quy tắc điểm CCHC",
        "publication.create" => "công bố kết quả",
        "held.released" => "trả lượt đánh giá bị giữ lại về chỉ số",
        "held.rejected" => "loại lượt đánh giá bị giữ lại khỏi chỉ số",
        "wave.create" => "tạo đợt khảo sát",
        "frame.import" => "nhập khung mẫu",
        "wave.design" => "thiết kế mẫu",
        "wave.draw" => "chọn mẫu",
        "wave.fieldwork" => "bắt đầu khảo sát",
        "wave.letters" => "in thư mời giấy",
        "wave.replace" => "thay thế đơn vị không liên lạc được",
        "wave.returns" => "nhập thư bị trả lại",
        "wave.double_entry" => "đổi chế độ nhập phiếu giấy hai lần",
        "wave.close" => "kết thúc đợt khảo sát",
        "wave.purge_contacts" => "xoá thông tin liên hệ của đợt khảo sát",
        "paper.key" => "nhập phiếu giấy",
        "paper.resolve" => "xử lý phiếu giấy nhập lệch",
        "outbox.retry" => "gửi lại thư điện tử",
        "outbox.mark_sent" => "đánh dấu thư điện tử đã gửi",
        _ => "",
    }
}

/// A share (0–1) as the pages print it: "80,00%".
fn percent(v: &Value) -> Option<String> {
    v.as_f64()
        .map(|x| format!("{}%", super::percent(x, super::Lang::Vi)))
}

/// One entry as a sentence: who did what, to what, with its numbers ("snv.admin đặt mục tiêu
/// 80,00% cho agency:12").
pub fn sentence(
    actor: &str,
    action: &str,
    entity: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> String {
    let verb = match action_vi(action) {
        "" => action,
        words => words,
    };
    let field = |v: Option<&Value>, key: &str| v.and_then(|v| v.get(key)).cloned();
    let detail = match action {
        "target.set" => match (field(after, "target"), field(before, "target")) {
            (Some(t), _) => percent(&t).map(|p| format!(" {p} cho {entity}")),
            (None, Some(t)) => percent(&t).map(|p| format!(" (xoá mục tiêu {p}) cho {entity}")),
            (None, None) => None,
        },
        "par_rule.set" => {
            field(after, "max_points").map(|m| format!(" năm {entity}: tối đa {m} điểm"))
        }
        "publication.create" => {
            let day = |k: &str| {
                field(after, k)
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .and_then(|s| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
            };
            match (day("period_from"), day("period_to")) {
                (Some(f), Some(t)) => Some(format!(
                    " {} (bản số {entity})",
                    crate::domain::period_kind::name_vi(f, t)
                )),
                _ => None,
            }
        }
        "held.released" | "held.rejected" => field(after, "ratings").map(|n| format!(": {n} lượt")),
        _ => None,
    };
    let detail = detail.unwrap_or_else(|| {
        if entity.is_empty() || entity == "held_ratings" || entity == actor {
            String::new()
        } else {
            format!(" {entity}")
        }
    });
    format!("{actor} {verb}{detail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_read_as_sentences() {
        assert_eq!(
            sentence(
                "snv.admin",
                "target.set",
                "level:2",
                None,
                Some(&json!({"target": 0.8}))
            ),
            "snv.admin đặt mục tiêu 80,00% cho level:2"
        );
        assert_eq!(
            sentence(
                "snv.admin",
                "publication.create",
                "3",
                None,
                Some(&json!({"period_from": "2026-07-01", "period_to": "2026-09-30"}))
            ),
            "snv.admin công bố kết quả quý III/2026 (bản số 3)"
        );
        assert_eq!(
            sentence("t1.manager", "session.start", "t1.manager", None, None),
            "t1.manager đăng nhập"
        );
        // An action the page does not know yet is shown as recorded.
        assert_eq!(sentence("x", "new.thing", "7", None, None), "x new.thing 7");
    }
}
