//! What each audience reads about a fault: a citizen in their language, staff in Vietnamese,
//! an API client in the problem document's `detail`. Never an input, never a cause.

use super::Fault;
use crate::views::Lang;

impl Fault {
    /// What a citizen reads (they submitted a rating or opened a form).
    pub(super) fn citizen_message(&self, lang: Lang) -> &'static str {
        let t = lang.texts();
        match self {
            Fault::BadToken => t.bad_token,
            Fault::Revoked => t.revoked_token,
            Fault::BadReceipt => t.bad_receipt,
            Fault::ReceiptExpired => t.receipt_expired,
            Fault::ReceiptUsed => t.receipt_used,
            Fault::RateLimited(_) => t.rate_limited,
            Fault::Busy => t.internal,
            Fault::Unavailable(_) | Fault::Internal(_) => t.unsure,
            Fault::TimedOut => t.slow,
            Fault::NotFound | Fault::MethodNotAllowed(_) => t.not_found,
            Fault::TooLarge => t.too_large,
            Fault::UnsupportedMediaType => t.wrong_type,
            Fault::Invalid(_)
            | Fault::BadRequest
            | Fault::Forbidden
            | Fault::NotAllowed
            | Fault::SignIn { .. }
            | Fault::Unauthenticated => t.bad_request,
        }
    }

    pub(super) fn citizen_title(&self, lang: Lang) -> &'static str {
        let t = lang.texts();
        match self {
            Fault::NotFound | Fault::MethodNotAllowed(_) => t.not_found_title,
            _ => t.error_title,
        }
    }

    pub(super) fn staff_title(&self) -> &'static str {
        match self {
            Fault::NotFound
            | Fault::BadToken
            | Fault::Revoked
            | Fault::BadReceipt
            | Fault::ReceiptExpired
            | Fault::ReceiptUsed => "Không tìm thấy",
            _ => "Không thực hiện được yêu cầu",
        }
    }

    /// What staff read (they were looking at or changing administrative data).
    pub(super) fn staff_message(&self) -> &'static str {
        match self {
            Fault::Unavailable(_) | Fault::Busy => {
                "Không tải được dữ liệu: cơ sở dữ liệu tạm thời không phản hồi. Vui lòng thử lại sau ít phút."
            }
            Fault::Internal(_) => "Lỗi hệ thống. Vui lòng thử lại; nếu lỗi lặp lại, hãy báo quản trị viên.",
            Fault::Forbidden => "Yêu cầu không hợp lệ (CSRF). Vui lòng tải lại trang và thử lại.",
            Fault::NotAllowed => "Tài khoản của Ông/Bà chỉ được xem, không được thay đổi mục này.",
            Fault::RateLimited(_) => "Quá nhiều yêu cầu. Vui lòng thử lại sau ít phút.",
            Fault::NotFound
            | Fault::BadToken
            | Fault::Revoked
            | Fault::BadReceipt
            | Fault::ReceiptExpired
            | Fault::ReceiptUsed => "Không tìm thấy trang hoặc mục này.",
            Fault::MethodNotAllowed(_) => "Trang này không nhận kiểu yêu cầu này.",
            Fault::TooLarge => "Dữ liệu gửi lên quá lớn.",
            Fault::TimedOut => "Kết nối quá chậm nên dữ liệu chưa được gửi hết; không có gì được lưu. Vui lòng gửi lại.",
            Fault::UnsupportedMediaType | Fault::BadRequest | Fault::Invalid(_) => {
                "Yêu cầu không hợp lệ. Vui lòng tải lại trang và thử lại."
            }
            Fault::SignIn { .. } | Fault::Unauthenticated => "Vui lòng đăng nhập.",
        }
    }

    /// What an API client reads (`detail` of the problem document).
    pub(super) fn api_detail(&self) -> &'static str {
        match self {
            Fault::BadToken => "desk_token is not a valid desk token",
            Fault::Revoked => "desk_token was revoked: the desk has new QR codes",
            Fault::BadReceipt => "receipt_token is not a valid receipt token",
            Fault::ReceiptExpired => "receipt_token has expired: its last day to rate has passed",
            Fault::ReceiptUsed => {
                "receipt_token was used already: each dossier is rated once (a retry of the same submission_id is answered 200 duplicate)"
            }
            Fault::Invalid(_) => "the request is not valid: see errors",
            Fault::RateLimited(_) => "too many submissions; retry later",
            Fault::Busy => "busy: nothing was stored; retry with the same submission_id",
            Fault::Unavailable(_) => {
                "the database is unavailable: a submission may not have been stored; send it again with the same submission_id"
            }
            Fault::Internal(_) => {
                "internal error: a submission may not have been stored; send it again with the same submission_id"
            }
            Fault::TimedOut => "the body arrived too slowly and was cut off; nothing was read",
            Fault::NotFound => "no resource at this path",
            Fault::MethodNotAllowed(_) => "this resource does not accept this method",
            Fault::BadRequest => "the request could not be parsed",
            Fault::TooLarge => {
                "the body is too large: at most 64 KiB (512 KiB for a batch of receipts)"
            }
            Fault::UnsupportedMediaType => "Content-Type must be application/json",
            Fault::Forbidden => "forbidden",
            Fault::NotAllowed => "this account may not do this",
            Fault::SignIn { .. } => "sign-in required",
            Fault::Unauthenticated => {
                "a valid bearer token (Authorization: Bearer …) or staff session is required"
            }
        }
    }
}
