//! The invitation and the reminder, in Vietnamese or English, as text and HTML (templates
//! `mail.txt` and `mail.html`); the subject is encoded by lettre (RFC 2047) and the bodies as
//! quoted-printable, so the message is plain ASCII on the wire.

use anyhow::{Context, Result};
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;
use serde::Serialize;

use crate::db::outbox::Recipient;
use crate::domain::invitation::Invitation;
use crate::domain::text;
use crate::views::Views;

/// What a message says, before templating.
#[derive(Serialize, Debug)]
pub struct MailText {
    pub lang: &'static str,
    pub subject: String,
    pub greeting: String,
    pub paragraphs: Vec<String>,
    /// The form's address for this person.
    pub link: String,
    pub link_label: String,
    /// "Or go to … and type the code …".
    pub code_line: String,
    pub closing: String,
    pub signature: String,
    /// The same invitation in the other language (one line).
    pub other_lang: String,
}

/// The text of a message of `kind` (`invitation` or `reminder`) to `who`.
pub fn text(
    kind: &str,
    lang: &str,
    who: &Recipient,
    code: &str,
    base: &str,
    signature: &str,
) -> MailText {
    let grouped = Invitation::grouped(code);
    let link = format!("{base}/s/{code}");
    // Names come from files and forms: each becomes one line, so none can add a line to the
    // message (a header in the subject, a paragraph in the body).
    let wave = &text::one_line(&who.wave_name);
    let year = who.year;
    let agency = &text::one_line(&who.agency_name);
    let name = who
        .name
        .as_deref()
        .map(text::one_line)
        .filter(|n| !n.is_empty());
    let reminder = kind == "reminder";
    if lang == "en" {
        MailText {
            lang: "en",
            subject: if reminder {
                format!("Reminder: the {year} satisfaction survey of public administrative services")
            } else {
                format!("Invitation: the {year} satisfaction survey of public administrative services")
            },
            greeting: match &name {
                Some(n) => format!("Dear {n},"),
                None => "Dear Sir or Madam,".to_owned(),
            },
            paragraphs: vec![
                if reminder {
                    format!("We recently invited you to take part in {wave}. If you have not answered yet, we would be grateful for about five minutes of your time.")
                } else {
                    format!("In {year} you completed an administrative procedure at {agency}. You were chosen at random to take part in {wave}, the survey of satisfaction with the service of the public administration.")
                },
                "The form takes about five minutes. Your answers are used for statistics only and are not linked to your name.".to_owned(),
                "Each invitation can be used once. If you prefer not to take part, please ignore this message.".to_owned(),
            ],
            link: format!("{link}?lang=en"),
            link_label: "Answer the survey".to_owned(),
            code_line: format!("Or go to {base}/s and type the code {grouped}."),
            closing: "Thank you,".to_owned(),
            signature: signature.to_owned(),
            other_lang: format!("Tiếng Việt: {link}"),
        }
    } else {
        MailText {
            lang: "vi",
            subject: if reminder {
                format!("Nhắc lại: mời Ông/Bà tham gia khảo sát sự hài lòng năm {year}")
            } else {
                format!("Mời Ông/Bà tham gia khảo sát sự hài lòng năm {year}")
            },
            greeting: match &name {
                Some(n) => format!("Kính gửi Ông/Bà {n},"),
                None => "Kính gửi Ông/Bà,".to_owned(),
            },
            paragraphs: vec![
                if reminder {
                    format!("Chúng tôi đã gửi thư mời Ông/Bà tham gia {wave}. Nếu Ông/Bà chưa trả lời, xin Ông/Bà dành khoảng 5 phút để trả lời phiếu khảo sát.")
                } else {
                    format!("Trong năm {year}, Ông/Bà đã giải quyết thủ tục hành chính tại {agency}. Ông/Bà được chọn ngẫu nhiên để tham gia {wave} — khảo sát sự hài lòng về sự phục vụ của cơ quan hành chính nhà nước.")
                },
                "Phiếu khảo sát mất khoảng 5 phút. Câu trả lời chỉ dùng để thống kê và không gắn với họ tên của Ông/Bà.".to_owned(),
                "Mỗi thư mời chỉ dùng được một lần. Nếu Ông/Bà không muốn tham gia, xin bỏ qua thư này.".to_owned(),
            ],
            link,
            link_label: "Trả lời phiếu khảo sát".to_owned(),
            code_line: format!("Hoặc vào {base}/s và nhập mã {grouped}."),
            closing: "Trân trọng cảm ơn,".to_owned(),
            signature: signature.to_owned(),
            other_lang: format!("English: {base}/s/{code}?lang=en"),
        }
    }
}

/// The message, ready for SMTP: `From`, `To`, the stable `Message-ID`, subject, and the text and
/// HTML alternatives.
pub fn message(
    views: &Views,
    from: &Mailbox,
    to: &Mailbox,
    message_id: &str,
    text: &MailText,
) -> Result<Message> {
    let plain = views.render("mail.txt", text)?;
    let html = views.render("mail.html", text)?;
    let domain = from.email.domain();
    Message::builder()
        .from(from.clone())
        .to(to.clone())
        .subject(crate::domain::text::one_line(&text.subject))
        .message_id(Some(format!("<{message_id}@{domain}>")))
        .date_now()
        .multipart(alternative(plain, html))
        .context("composing the message")
}

/// The text and the HTML of a message, as alternatives (mail programs show the one they can).
fn alternative(plain: String, html: String) -> MultiPart {
    MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(plain),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(html),
        )
}

/// `List-Unsubscribe`: where a mail program's "unsubscribe" goes (RFC 2369).
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post`: the link takes a one-click POST (RFC 8058), so a mail program can
/// unsubscribe without opening a page, and a link scanner's GET changes nothing.
#[derive(Clone)]
struct OneClick;

impl Header for OneClick {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(OneClick)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// A digest or alert as it was composed (`db::digests`), ready for SMTP, with its settings
/// link as the one-click unsubscribe.
pub fn stored(
    from: &Mailbox,
    to: &Mailbox,
    message_id: &str,
    mail: &crate::db::digests::DigestMail,
    settings_link: &str,
) -> Result<Message> {
    let domain = from.email.domain();
    Message::builder()
        .from(from.clone())
        .to(to.clone())
        .subject(crate::domain::text::one_line(&mail.subject))
        .message_id(Some(format!("<{message_id}@{domain}>")))
        .header(ListUnsubscribe(format!("{settings_link}/off")))
        .header(OneClick)
        .date_now()
        .multipart(alternative(mail.body_text.clone(), mail.body_html.clone()))
        .context("composing the message")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(name: Option<&str>) -> Recipient {
        Recipient {
            name: name.map(str::to_owned),
            email: "a@example.vn".into(),
            agency_name: "Sở Tư pháp".into(),
            wave_name: "Khảo sát 2026".into(),
            year: 2026,
        }
    }

    #[test]
    fn each_message_has_its_language_kind_link_and_code() {
        let code = "0000009QGR8JRFX4";
        let base = "https://sipas.example.vn";
        let vi = text(
            "invitation",
            "vi",
            &who(Some("Lan")),
            code,
            base,
            "Sở Nội vụ",
        );
        assert_eq!(
            vi.subject,
            "Mời Ông/Bà tham gia khảo sát sự hài lòng năm 2026"
        );
        assert_eq!(vi.greeting, "Kính gửi Ông/Bà Lan,");
        assert_eq!(vi.link, format!("{base}/s/{code}"));
        assert!(vi.code_line.contains("0000-009Q-GR8J-RFX4"));
        assert!(vi.paragraphs[0].contains("Sở Tư pháp"));
        let en = text("reminder", "en", &who(None), code, base, "Sở Nội vụ");
        assert!(en
            .subject
            .starts_with("Reminder: the 2026 satisfaction survey"));
        assert_eq!(en.greeting, "Dear Sir or Madam,");
        assert_eq!(en.link, format!("{base}/s/{code}?lang=en"));
        assert!(en.other_lang.starts_with("Tiếng Việt: "));
        let reminder_vi = text("reminder", "vi", &who(None), code, base, "");
        assert!(reminder_vi.subject.starts_with("Nhắc lại:"));
    }

    #[test]
    fn the_message_is_ascii_on_the_wire_with_an_encoded_subject_and_both_parts() {
        let views = Views::shared().unwrap();
        let t = text(
            "invitation",
            "en",
            &who(Some("Lan")),
            "0000009QGR8JRFX4",
            "https://x.vn",
            "SNV",
        );
        let from: Mailbox = "Sở Nội vụ <khaosat@snv.example.vn>".parse().unwrap();
        let to: Mailbox = "a@example.vn".parse().unwrap();
        let m = message(views, &from, &to, "abc-123", &t).unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(raw.is_ascii());
        assert!(
            raw.contains("Message-ID: <abc-123@snv.example.vn>"),
            "{raw}"
        );
        assert!(
            raw.contains("Content-Type: text/plain") && raw.contains("Content-Type: text/html")
        );
        assert!(
            raw.contains("From: =?utf-8?"),
            "the sender's name is encoded: {raw}"
        );
    }
}
