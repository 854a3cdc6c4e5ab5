//! The interface's words. Vietnamese is the default; English is a visible switch on every page.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    /// Anything but an explicit `en` is Vietnamese.
    pub fn parse(s: Option<&str>) -> Lang {
        match s {
            Some("en") => Lang::En,
            _ => Lang::Vi,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Texts {
    pub switch_label: &'static str,
    pub form_title: &'static str,
    pub form_intro: &'static str,
    pub fix_errors: &'static str,
    pub no_opinion: &'static str,
    pub respondent_kind: &'static str,
    pub individual: &'static str,
    pub organisation: &'static str,
    pub comment: &'static str,
    pub comment_hint: &'static str,
    pub submit: &'static str,
    pub privacy: &'static str,
    pub thanks_title: &'static str,
    pub thanks_body: &'static str,
    pub thanks_again: &'static str,
    pub error_title: &'static str,
    pub bad_token: &'static str,
    pub revoked_token: &'static str,
    pub rate_limited: &'static str,
    pub bad_request: &'static str,
    pub wrong_type: &'static str,
    pub too_large: &'static str,
    pub internal: &'static str,
    pub not_found_title: &'static str,
    pub not_found: &'static str,
    pub poster_instruction: &'static str,
    pub poster_title: &'static str,
}

pub static VI: Texts = Texts {
    switch_label: "English",
    form_title: "Đánh giá sự hài lòng",
    form_intro: "Ông/Bà vui lòng cho biết mức độ hài lòng về sự phục vụ hôm nay. Phiếu không ghi tên, mất dưới một phút.",
    fix_errors: "Vui lòng kiểm tra lại:",
    no_opinion: "Không có ý kiến",
    respondent_kind: "Ông/Bà là",
    individual: "Cá nhân",
    organisation: "Tổ chức, doanh nghiệp",
    comment: "Góp ý thêm (không bắt buộc)",
    comment_hint: "Tối đa 2.000 ký tự. Xin đừng ghi họ tên, số điện thoại hay số giấy tờ.",
    submit: "Gửi đánh giá",
    privacy: "Phiếu không thu thập họ tên hay địa chỉ của Ông/Bà.",
    thanks_title: "Cảm ơn Ông/Bà!",
    thanks_body: "Đánh giá của Ông/Bà đã được ghi nhận. Ý kiến này giúp cơ quan phục vụ tốt hơn.",
    thanks_again: "Ông/Bà có thể đóng trang này.",
    error_title: "Không gửi được đánh giá",
    bad_token: "Mã QR không hợp lệ. Vui lòng quét lại mã QR tại quầy hoặc hỏi cán bộ tiếp nhận.",
    revoked_token: "Mã QR này đã hết hiệu lực. Vui lòng quét mã QR mới đang dán tại quầy.",
    rate_limited: "Có quá nhiều lượt gửi trong thời gian ngắn. Vui lòng thử lại sau ít phút.",
    bad_request: "Dữ liệu gửi lên không đọc được. Vui lòng tải lại trang và gửi lại.",
    wrong_type: "Phiếu phải được gửi từ trang đánh giá. Vui lòng tải lại trang và gửi lại.",
    too_large: "Nội dung gửi lên quá lớn. Vui lòng rút gọn góp ý và gửi lại.",
    internal: "Hệ thống đang bận, đánh giá chưa được lưu. Vui lòng gửi lại sau ít phút.",
    not_found_title: "Không tìm thấy trang",
    not_found: "Không tìm thấy trang này. Nếu Ông/Bà muốn đánh giá, vui lòng quét mã QR tại quầy.",
    poster_instruction: "Quét mã QR bằng điện thoại để đánh giá sự phục vụ — chưa đến một phút, không cần ghi tên.",
    poster_title: "Ông/Bà hài lòng với sự phục vụ hôm nay?",
};

pub static EN: Texts = Texts {
    switch_label: "Tiếng Việt",
    form_title: "Rate our service",
    form_intro: "Please tell us how satisfied you are with today's service. The form is anonymous and takes under a minute.",
    fix_errors: "Please check:",
    no_opinion: "No opinion",
    respondent_kind: "You are",
    individual: "An individual",
    organisation: "An organisation or business",
    comment: "Further comments (optional)",
    comment_hint: "At most 2,000 characters. Please do not write your name, phone or ID numbers.",
    submit: "Send",
    privacy: "This form does not collect your name or address.",
    thanks_title: "Thank you!",
    thanks_body: "Your rating has been recorded. It helps the agency serve people better.",
    thanks_again: "You may close this page.",
    error_title: "The rating could not be sent",
    bad_token: "This QR code is not valid. Please scan the code at the desk again or ask the staff.",
    revoked_token: "This QR code is no longer valid. Please scan the new code at the desk.",
    rate_limited: "Too many submissions in a short time. Please try again in a few minutes.",
    bad_request: "The form data could not be read. Please reload the page and send again.",
    wrong_type: "Please send the form from the rating page. Reload the page and send again.",
    too_large: "What was sent is too large. Please shorten the comment and send again.",
    internal: "The system is busy and the rating was not saved. Please try again in a few minutes.",
    not_found_title: "Page not found",
    not_found: "This page does not exist. To rate a service, please scan the QR code at the desk.",
    poster_instruction: "Scan the QR code with your phone to rate the service: under a minute, anonymous.",
    poster_title: "Satisfied with today's service?",
};
