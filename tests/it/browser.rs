//! The form in a real browser: headless Chromium (Debian's `chromium`) renders it without
//! JavaScript at phone size.

use std::process::Command;

use crate::helpers::{TempDir, TestApp};

fn chromium(args: &[&str]) -> std::process::Output {
    let profile = TempDir::new("chromium");
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.0.display()))
        .args(args)
        .output()
        .expect("chromium is installed (scripts/ensure-deps installs it)")
}

#[test]
fn chromium_renders_the_form_at_phone_size_without_javascript() {
    let app = TestApp::spawn();
    let url = format!("{}/q/{}", app.base, app.token());

    let dom = chromium(&["--dump-dom", &url]);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("<html lang=\"vi\">"));
    assert!(
        !dom.contains("<script"),
        "the form works without JavaScript: there is none"
    );
    assert_eq!(
        dom.matches("type=\"radio\"").count(),
        6 * 6 + 2,
        "six questions with 5 levels + no opinion, and the respondent kind"
    );
    assert_eq!(dom.matches("<legend>").count(), 7);
    assert!(dom.contains("<button type=\"submit\">Gửi đánh giá</button>"));

    let dir = TempDir::new("shot");
    let shot = dir.join("form.png");
    let out = chromium(&[
        "--window-size=390,844",
        &format!("--screenshot={}", shot.display()),
        &url,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let img = image::open(&shot).unwrap();
    assert_eq!((img.width(), img.height()), (390, 844));
    // The page is not blank: the header's dark red band is at the top.
    let top = img.to_rgb8().get_pixel(5, 5).0;
    assert!(
        top[0] > 100 && top[1] < 60 && top[2] < 60,
        "header colour {top:?}"
    );
}
