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
    pub bad_receipt: &'static str,
    pub receipt_expired: &'static str,
    pub receipt_used: &'static str,
    pub rate_limited: &'static str,
    pub bad_request: &'static str,
    pub wrong_type: &'static str,
    pub too_large: &'static str,
    pub internal: &'static str,
    /// The database failed or a bug stopped the request: the rating may have been saved.
    pub unsure: &'static str,
    /// The request arrived too slowly and was cut off.
    pub slow: &'static str,
    pub not_found_title: &'static str,
    pub not_found: &'static str,
    pub poster_instruction: &'static str,
    pub poster_title: &'static str,
    pub survey_title: &'static str,
    pub survey_intro: &'static str,
    pub survey_submit: &'static str,
    pub survey_privacy: &'static str,
    pub receipt_intro: &'static str,
    pub receipt_privacy: &'static str,
    pub overall_section: &'static str,
    pub part: &'static str,
    pub survey_used_title: &'static str,
    pub survey_used: &'static str,
    pub survey_closed_title: &'static str,
    pub survey_closed: &'static str,
    pub survey_bad_code: &'static str,
    pub survey_enter_title: &'static str,
    pub survey_enter: &'static str,
    pub survey_code_label: &'static str,
    pub survey_open: &'static str,
    pub choices_section: &'static str,
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
    bad_receipt: "Đường dẫn đánh giá trên biên nhận không đúng. Vui lòng kiểm tra lại đường dẫn trong tin nhắn hoặc quét lại mã QR trên giấy hẹn trả kết quả.",
    receipt_expired: "Biên nhận này đã hết hạn đánh giá. Cảm ơn Ông/Bà đã quan tâm; Ông/Bà vẫn có thể góp ý qua mã QR dán tại quầy.",
    receipt_used: "Hồ sơ này đã được đánh giá. Mỗi hồ sơ chỉ được đánh giá một lần. Cảm ơn Ông/Bà.",
    rate_limited: "Có quá nhiều lượt gửi trong thời gian ngắn. Vui lòng thử lại sau ít phút.",
    bad_request: "Dữ liệu gửi lên không đọc được. Vui lòng tải lại trang và gửi lại.",
    wrong_type: "Phiếu phải được gửi từ trang đánh giá. Vui lòng tải lại trang và gửi lại.",
    too_large: "Nội dung gửi lên quá lớn. Vui lòng rút gọn góp ý và gửi lại.",
    internal: "Hệ thống đang bận, đánh giá chưa được lưu. Vui lòng gửi lại sau ít phút.",
    unsure: "Hệ thống đang gặp sự cố, đánh giá có thể chưa được lưu. Vui lòng bấm gửi lại trên trang này sau ít phút: dù đã lưu rồi, đánh giá cũng không bị tính hai lần.",
    slow: "Kết nối quá chậm nên đánh giá chưa được gửi hết và chưa được lưu. Vui lòng gửi lại.",
    not_found_title: "Không tìm thấy trang",
    not_found: "Không tìm thấy trang này. Nếu Ông/Bà muốn đánh giá, vui lòng quét mã QR tại quầy.",
    poster_instruction: "Quét mã QR bằng điện thoại để đánh giá sự phục vụ — chưa đến một phút, không cần ghi tên.",
    poster_title: "Ông/Bà hài lòng với sự phục vụ hôm nay?",
    survey_title: "Phiếu khảo sát sự hài lòng",
    survey_intro: "Ông/Bà được chọn ngẫu nhiên tham gia khảo sát hằng năm về sự phục vụ của cơ quan hành chính nhà nước. Phiếu mất khoảng 5 phút. Câu trả lời chỉ dùng để thống kê và không gắn với họ tên của Ông/Bà.",
    survey_submit: "Gửi phiếu khảo sát",
    survey_privacy: "Phiếu trả lời được lưu riêng, không kèm họ tên, địa chỉ hay số điện thoại của Ông/Bà.",
    receipt_intro: "Ông/Bà vui lòng đánh giá việc giải quyết hồ sơ vừa nhận kết quả. Mỗi hồ sơ được đánh giá một lần, mất dưới một phút.",
    receipt_privacy: "Đánh giá không gắn với hồ sơ hay danh tính của Ông/Bà: hệ thống chỉ ghi nhận rằng biên nhận đã được dùng, không ghi nhận ai đánh giá thế nào.",
    overall_section: "Đánh giá chung",
    part: "Phần",
    survey_used_title: "Phiếu này đã được trả lời",
    survey_used: "Phiếu khảo sát theo thư mời này đã được gửi. Mỗi thư mời chỉ dùng được một lần. Xin cảm ơn Ông/Bà!",
    survey_closed_title: "Đợt khảo sát không nhận phiếu",
    survey_closed: "Đợt khảo sát này hiện không nhận phiếu (chưa bắt đầu hoặc đã kết thúc). Xin cảm ơn Ông/Bà.",
    survey_bad_code: "Mã mời không đúng. Vui lòng kiểm tra lại mã 16 ký tự in trên thư mời.",
    survey_enter_title: "Trả lời khảo sát theo thư mời",
    survey_enter: "Nhập mã 16 ký tự in trên thư mời (có thể bỏ dấu gạch ngang).",
    survey_code_label: "Mã trên thư mời",
    survey_open: "Mở phiếu khảo sát",
    choices_section: "Mong muốn và thông tin về Ông/Bà",
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
    bad_receipt: "This rating link is not valid. Please check the link in your message, or scan the QR code on your result receipt again.",
    receipt_expired: "The time to rate this dossier has passed. Thank you; you can still give feedback with the QR code at the desk.",
    receipt_used: "This dossier has already been rated. Each dossier can be rated once. Thank you.",
    rate_limited: "Too many submissions in a short time. Please try again in a few minutes.",
    bad_request: "The form data could not be read. Please reload the page and send again.",
    wrong_type: "Please send the form from the rating page. Reload the page and send again.",
    too_large: "What was sent is too large. Please shorten the comment and send again.",
    internal: "The system is busy and the rating was not saved. Please try again in a few minutes.",
    unsure: "The system has a problem and the rating may not have been saved. Please send this page again in a few minutes: even if it was saved, it will not be counted twice.",
    slow: "The connection was too slow: the rating did not arrive whole and was not saved. Please send it again.",
    not_found_title: "Page not found",
    not_found: "This page does not exist. To rate a service, please scan the QR code at the desk.",
    poster_instruction: "Scan the QR code with your phone to rate the service: under a minute, anonymous.",
    poster_title: "Satisfied with today's service?",
    survey_title: "Satisfaction survey",
    survey_intro: "You were chosen at random for the annual survey of the public administration's service. The form takes about 5 minutes. Your answers are used for statistics only and are not linked to your name.",
    survey_submit: "Send the survey",
    survey_privacy: "Your answers are stored apart from your name, address and phone number.",
    receipt_intro: "Please rate how your dossier was handled. Each dossier can be rated once; it takes under a minute.",
    receipt_privacy: "Your rating is not linked to your dossier or to you: the system only records that the receipt was used, not who rated what.",
    overall_section: "Overall",
    part: "Part",
    survey_used_title: "This survey has been answered",
    survey_used: "The survey of this invitation has been sent already. Each invitation can be used once. Thank you!",
    survey_closed_title: "The survey is not open",
    survey_closed: "This survey round is not taking answers now (not started yet, or ended). Thank you.",
    survey_bad_code: "The invitation code is not right. Please check the 16-character code printed on your letter.",
    survey_enter_title: "Answer the survey of your invitation",
    survey_enter: "Type the 16-character code printed on your letter (dashes are optional).",
    survey_code_label: "Code on the letter",
    survey_open: "Open the survey",
    choices_section: "Your priorities, and about you",
};
