use super::*;
use crate::fuzzing::vietnamese;
use proptest::prelude::*;
use std::time::Duration;

#[test]
fn vietnamese_phone_numbers_are_masked_however_they_are_written() {
    for (typed, masked) in [
        (
            "Cán bộ hẹn gọi lại số 0912345678 nhưng không gọi.",
            "Cán bộ hẹn gọi lại số [số điện thoại đã ẩn] nhưng không gọi.",
        ),
        ("SĐT: 0912 345 678", "SĐT: [số điện thoại đã ẩn]"),
        ("sdt 0912.345.678.", "sdt [số điện thoại đã ẩn]."),
        ("gọi 091-234-5678 giúp", "gọi [số điện thoại đã ẩn] giúp"),
        ("+84 912 345 678", "[số điện thoại đã ẩn]"),
        ("84912345678", "[số điện thoại đã ẩn]"),
        (
            "(028) 3829 1234 phòng một cửa",
            "[số điện thoại đã ẩn] phòng một cửa",
        ),
        ("Liên hệ 02838291234", "Liên hệ [số điện thoại đã ẩn]"),
    ] {
        assert_eq!(mask_personal(typed), masked, "{typed:?}");
    }
}

#[test]
fn identity_numbers_and_emails_are_masked() {
    for (typed, masked) in [
        (
            "CCCD của tôi là 079123456789, làm mất hồ sơ",
            "CCCD của tôi là [số giấy tờ đã ẩn], làm mất hồ sơ",
        ),
        ("căn cước 0791 2345 6789", "căn cước [số giấy tờ đã ẩn]"),
        ("CMND 271234567 cũ", "CMND [số giấy tờ đã ẩn] cũ"),
        (
            "Gửi kết quả qua nguyen.van.a+hs@gmail.com nhé.",
            "Gửi kết quả qua [email đã ẩn] nhé.",
        ),
        (
            "email: tran_thi-b@sonoivu.hanoi.gov.vn",
            "email: [email đã ẩn]",
        ),
        (
            "Anh Nam (0987654321, nam@yahoo.com.vn) chờ 2 tiếng",
            "Anh Nam ([số điện thoại đã ẩn], [email đã ẩn]) chờ 2 tiếng",
        ),
    ] {
        assert_eq!(mask_personal(typed), masked, "{typed:?}");
    }
}

#[test]
fn ordinary_numbers_and_words_stay() {
    for text in [
        "Rất hài lòng, cán bộ nhiệt tình!",
        "Chờ 45 phút, hẹn ngày 15/12/2026.",
        "Lệ phí 100.000.000 đồng là quá cao",
        "Phí 1,250,000 đ",
        "Hồ sơ số 2026-000123 bị trả lại",
        "Mã thủ tục 1.001234.000.00.00.H12",
        "Giờ làm việc 7:30 - 11:30",
        "địa chỉ @ phường 5",
        "gửi email cho phòng",
        "mã hồ sơ H12345678901A",
        "",
    ] {
        assert_eq!(mask_personal(text), text, "{text:?}");
        assert!(matches!(mask_personal(text), Cow::Borrowed(_)));
        assert!(!has_personal(text));
    }
}

#[test]
fn a_sign_or_bracket_after_a_vietnamese_letter_does_not_stop_the_masker() {
    // The comment that froze a node: a non-ASCII letter, then a digit, '+' and a digit.
    for text in [
        "Quầy số 1+2 làm nhanh",
        "ấ1+2",
        "Phòng 3(4) chờ lâu",
        "Đ1(0912345678",
        "ư9+84912345678 ư",
    ] {
        let masked = within(Duration::from_secs(2), move || {
            mask_personal(text).into_owned()
        });
        assert!(masked.contains("làm nhanh") || !text.contains("làm nhanh"));
    }
    assert_eq!(
        mask_personal("Quầy số 1+2 làm nhanh"),
        "Quầy số 1+2 làm nhanh"
    );
}

#[test]
fn numbers_hidden_by_other_spaces_invisible_characters_or_wide_digits_are_masked() {
    for typed in [
        "SĐT 0912\u{A0}345\u{A0}678 nhé",
        "SĐT 0912\u{202F}345\u{2009}678 nhé",
        "SĐT 0912\u{3000}345\u{3000}678 nhé",
        "SĐT 0912\u{200B}345\u{200B}678 nhé",
        "SĐT ０９１２３４５６７８ nhé",
        "SĐT 0912\u{2013}345\u{2013}678 nhé",
        "SĐT \u{202E}0912345678\u{202C} nhé",
    ] {
        assert_eq!(
            crate::domain::text::without_bidi_controls(&mask_personal(typed)),
            format!("SĐT {PHONE_MASK} nhé"),
            "{typed:?}"
        );
    }
    assert_eq!(
        mask_personal("gửi an\u{200B}@gmail.com nhé"),
        format!("gửi {EMAIL_MASK} nhé")
    );
    assert_eq!(
        mask_personal("gửi an＠gmail.com nhé"),
        format!("gửi {EMAIL_MASK} nhé")
    );
}

#[test]
fn the_red_teams_spellings_are_masked() {
    let p = PHONE_MASK;
    let i = ID_MASK;
    let e = EMAIL_MASK;
    for (typed, masked) in [
        // Glued to letters or a code: phone- and CCCD-shaped numbers still.
        ("ĐT.0912345678 gọi giúp", format!("ĐT.{p} gọi giúp")),
        ("SĐT0912345678 nhé", format!("SĐT{p} nhé")),
        ("CCCD079123456789 bị mất", format!("CCCD{i} bị mất")),
        ("Gọi số 0912345678.Cảm ơn", format!("Gọi số {p}.Cảm ơn")),
        ("0912345678-chị Lan", format!("{p}-chị Lan")),
        ("0912345678/anh Nam", format!("{p}/anh Nam")),
        // Two numbers in one run, or a number and a count.
        (
            "liên hệ 0912345678 0987654321 giúp",
            format!("liên hệ {p} {p} giúp"),
        ),
        ("SĐT 0912345678 100 lần gọi", format!("SĐT {p} 100 lần gọi")),
        ("sđt 0912345678\t0987654321", format!("sđt {p}\t{p}")),
        // Other separators and other digits.
        ("gọi 0912 - 345 - 678 nhé", format!("gọi {p} nhé")),
        ("gọi 0912 . 345 . 678 nhé", format!("gọi {p} nhé")),
        ("gọi 0912—345—678 nhé", format!("gọi {p} nhé")),
        ("gọi 0912/345/678 nhé", format!("gọi {p} nhé")),
        ("gọi 0912_345_678 nhé", format!("gọi {p} nhé")),
        ("gọi 0912·345·678 nhé", format!("gọi {p} nhé")),
        ("gọi 0912\n345678 nhé", format!("gọi {p} nhé")),
        ("gọi 𝟎𝟗𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖 nhé", format!("gọi {p} nhé")),
        ("gọi ⓪⑨①②③④⑤⑥⑦⑧ nhé", format!("gọi {p} nhé")),
        ("gọi ⁰⁹¹²³⁴⁵⁶⁷⁸ nhé", format!("gọi {p} nhé")),
        ("gọi ٠٩١٢٣٤٥٦٧٨ nhé", format!("gọi {p} nhé")),
        (
            "gọi 0\u{332}9\u{332}1\u{332}2345678 nhé",
            format!("gọi {p} nhé"),
        ),
        (
            "gọi 0\u{FE0F}\u{20E3}9\u{FE0F}\u{20E3}12345678 nhé",
            format!("gọi {p} nhé"),
        ),
        ("gọi ０９１２．３４５．６７８ nhé", format!("gọi {p} nhé")),
        ("gọi 0912\u{3164}345678 nhé", format!("gọi {p} nhé")),
        ("gọi 0912\u{2800}345678 nhé", format!("gọi {p} nhé")),
        ("CMND 271.234.567 cũ", format!("CMND {i} cũ")),
        ("ư9+84912345678 ư", format!("ư9{p} ư")),
        // Addresses typed loosely.
        ("mail nguyenvana @gmail.com nhé", format!("mail {e} nhé")),
        ("mail nguyenvana@ gmail.com nhé", format!("mail {e} nhé")),
        ("mail an@gmail．com nhé", format!("mail {e} nhé")),
        ("mail an@gmail。com nhé", format!("mail {e} nhé")),
        ("mail ａｎ＠ｇｍａｉｌ．ｃｏｍ nhé", format!("mail {e} nhé")),
        ("mail an﹫gmail.com nhé", format!("mail {e} nhé")),
        ("mail a@mail_server.gov.vn nhé", format!("mail {e} nhé")),
        ("mail an@gmail\u{FE0F}.com nhé", format!("mail {e} nhé")),
        ("mail nguyenvana(at)gmail.com nhé", format!("mail {e} nhé")),
        ("mail nguyen'vana@gmail.com nhé", format!("mail {e} nhé")),
        ("mail tr\u{34F}an@gmail.com nhé", format!("mail {e} nhé")),
    ] {
        assert_eq!(mask_personal(typed), masked, "{typed:?}");
    }
    // Sums of money and codes stay.
    for text in [
        "Lệ phí 100.000.000 đồng",
        "mã hồ sơ H12345678901A",
        "ngày 15/12/2026",
    ] {
        assert_eq!(mask_personal(text), text);
    }
}

#[test]
fn digits_beside_an_address_are_judged_on_their_own_and_masking_twice_changes_nothing() {
    // Found by the masker's fuzz target: the number ran into the address, was dropped
    // for overlapping it, and nine digits stayed visible.
    for (typed, masked) in [
        (
            "CMND 678 678 678 678@x.vn",
            "CMND [số giấy tờ đã ẩn] [email đã ẩn]",
        ),
        (
            "an@gmail.com/0912345678 nhé",
            "[email đã ẩn]/[số điện thoại đã ẩn] nhé",
        ),
        // Found by the fuzz target again (issue #17's run): the nine digits after '+'
        // touched a number masked just before, so they stayed — and were masked the
        // second time, once the mark stood before them.
        (
            "079123456 079+123456789",
            "[số giấy tờ đã ẩn][số giấy tờ đã ẩn]",
        ),
    ] {
        let once = mask_personal(typed);
        assert_eq!(once, masked, "{typed:?}");
        assert_eq!(mask_personal(&once), once);
    }
}

/// Runs `f` on a thread of its own and fails if it has not finished within `limit`: a
/// masker that loops forever fails the test instead of hanging it.
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .expect("the masker did not finish: it must always make progress")
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 1024,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(2026),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// On any text: it finishes, the spans are in order and on character boundaries,
    /// everything outside them is kept as typed, and masking twice changes nothing more.
    #[test]
    fn masking_finishes_and_keeps_all_but_the_spans(bytes in proptest::collection::vec(any::<u8>(), 0..1200)) {
        let text = vietnamese::text(&bytes);
        let (masked, spans) = within(Duration::from_secs(5), {
            let text = text.clone();
            move || (mask_personal(&text).into_owned(), find(&text))
        });
        let mut at = 0;
        let mut rebuilt = String::new();
        for s in &spans {
            prop_assert!(at <= s.start && s.start < s.end && s.end <= text.len());
            prop_assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
            rebuilt.push_str(&text[at..s.start]);
            rebuilt.push_str(s.mask);
            at = s.end;
        }
        rebuilt.push_str(&text[at..]);
        prop_assert_eq!(&rebuilt, &masked);
        prop_assert_eq!(mask_personal(&masked).into_owned(), masked.clone(), "idempotent");
    }

    /// A phone number or an address planted in any Vietnamese text is masked whole.
    #[test]
    fn planted_personal_data_is_always_masked(
        before in proptest::collection::vec(any::<u8>(), 0..200),
        after in proptest::collection::vec(any::<u8>(), 0..200),
        number in proptest::collection::vec(any::<u8>(), 12),
        user in "[a-z][a-z0-9._]{0,10}[a-z0-9]",
        host in "[a-z]{2,10}",
        email in any::<bool>(),
    ) {
        let planted = if email { format!("{user}@{host}.vn") } else { vietnamese::phone(&number) };
        let text = format!("{} SĐT: {planted}, {}", vietnamese::typed(&before), vietnamese::typed(&after));
        let start = text.find(&planted).expect("planted");
        let end = start + planted.len();
        let spans = within(Duration::from_secs(5), {
            let text = text.clone();
            move || find(&text)
        });
        prop_assert!(
            spans.iter().any(|s| s.start <= start && end <= s.end),
            "{planted:?} not masked in {text:?}: {spans:?}"
        );
    }
}

#[test]
fn masking_is_total_on_any_text() {
    // Odd inputs: lone signs, digits at the very end, multi-byte letters around them.
    for text in [
        "+",
        "(",
        "+(",
        "@",
        "a@",
        "@b.c",
        "0",
        "(0",
        "09123456789(",
        "ả0912345678ả",
        "0912345678)",
        "..@..",
        "x@y.",
        "0 1 2 3 4 5 6 7 8 9 0 1",
    ] {
        let _ = mask_personal(text);
    }
    assert_eq!(
        mask_personal("0 1 2 3 4 5 6 7 8 9 0 1"),
        "[số giấy tờ đã ẩn]",
        "spaced out digit by digit is still twelve digits"
    );
}
