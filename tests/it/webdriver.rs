//! Just enough of the W3C WebDriver protocol to drive headless Chromium through Debian's
//! `chromedriver`: open a page, type into fields, click, read the page and take a screenshot.
//! The browser does everything a person would (cookies, redirects, form posts), so a test
//! that signs in through it proves the sign-in works in a real browser.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

use crate::helpers::TempDir;

/// The key under which WebDriver returns an element's id.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Chromium {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::blocking::Client,
    _profile: TempDir,
}

impl Chromium {
    /// Starts chromedriver and a headless Chromium window `width` × `height` pixels.
    pub fn start(width: u32, height: u32) -> Chromium {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (scripts/ensure-deps installs chromium-driver)");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let started = Instant::now();
        while http.get(format!("{base}/status")).send().is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = TempDir::new("chromium-wd");
        let mut browser = Chromium {
            driver,
            base,
            session: String::new(),
            http,
            _profile: profile,
        };
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--hide-scrollbars".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", browser._profile.0.display()),
        ];
        let created = browser.call(
            reqwest::Method::POST,
            "/session",
            json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                // The emulated screen, not the window, sets the page's width: a headless window
                // cannot be narrower than 500 px, a phone is.
                "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args,
                    "mobileEmulation": {"deviceMetrics":
                        {"width": width, "height": height, "pixelRatio": 1.0, "touch": false}}}
            }}}),
        );
        browser.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        browser
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = if path == "/session" {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let mut req = self.http.request(method.clone(), &url);
        if method != reqwest::Method::GET {
            req = req.json(&body);
        }
        let answer: Value = req.send().unwrap().json().unwrap();
        assert!(
            answer["value"].get("error").is_none(),
            "WebDriver {method} {path}: {answer}"
        );
        answer["value"].clone()
    }

    /// Runs `js` (a function body) in the page and gives back what it returns; the page itself
    /// carries no script.
    pub fn script(&self, js: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({ "script": js, "args": [] }),
        )
    }

    /// Runs `js` as an asynchronous script: it ends by calling its last argument with the
    /// value to give back (axe-core answers through a promise).
    pub fn script_async(&self, js: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            json!({ "script": js, "args": [] }),
        )
    }

    /// How much wider the page is than the window: 0 when nothing scrolls sideways.
    pub fn overflow_x(&self) -> i64 {
        self.script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
        )
        .as_i64()
        .unwrap()
    }

    /// The boxes of the page that scroll sideways inside (a table too wide for its place),
    /// named by tag, class and widths; empty when none.
    pub fn boxes_scrolling_x(&self) -> String {
        self.script(
            "return Array.from(document.querySelectorAll('main *'))\
             .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth + 1)\
             .map(e => e.tagName + '.' + e.className + ' ' + e.scrollWidth + '>' + e.clientWidth).join('; ');",
        )
        .as_str()
        .unwrap()
        .to_owned()
    }

    /// What is wrong with the charts shown: text under 11 px on screen, labels that overlap,
    /// marks outside their plot; empty when nothing is. Values printed on focus (`.val`) are
    /// left out while hidden. Also counts the charts shown, so that a test knows it looked.
    pub fn chart_problems(&self) -> (u64, Vec<String>) {
        let v = self.script(
            "const out = []; \
             const shown = [...document.querySelectorAll('figure svg')].filter(s => s.getBoundingClientRect().width > 0); \
             for (const svg of shown) { \
               const scale = svg.getScreenCTM().a; \
               const name = (svg.getAttribute('aria-label') || (svg.querySelector('title') || {}).textContent || '').slice(0, 40) + ' @' + scale.toFixed(2); \
               const texts = [...svg.querySelectorAll('text')].filter(t => t.getClientRects().length > 0 && getComputedStyle(t).display !== 'none'); \
               for (const t of texts) { \
                 const px = parseFloat(getComputedStyle(t).fontSize) * scale; \
                 if (px < 11) out.push(name + ': \"' + t.textContent + '\" is ' + px.toFixed(1) + ' px'); \
               } \
               const boxes = texts.map(t => [t.textContent, t.getBoundingClientRect()]); \
               for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) { \
                 const a = boxes[i][1], b = boxes[j][1]; \
                 if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) \
                   out.push(name + ': \"' + boxes[i][0] + '\" overlaps \"' + boxes[j][0] + '\"'); \
               } \
               const frame = svg.querySelector('rect').getBoundingClientRect(); \
               for (const c of svg.querySelectorAll('.pt circle')) { \
                 const r = c.getBoundingClientRect(), x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2; \
                 if (x < frame.left - 0.5 || x > frame.right + 0.5 || y < frame.top - 0.5 || y > frame.bottom + 0.5) \
                   out.push(name + ': a mark outside the plot: ' + c.parentNode.getAttribute('aria-label')); \
               } \
               const sr = svg.getBoundingClientRect(); \
               for (const t of texts) { const r = t.getBoundingClientRect(); \
                 if (r.left < sr.left - 0.5 || r.right > sr.right + 0.5) out.push(name + ': \"' + t.textContent + '\" runs past the chart'); } \
             } \
             return {count: shown.length, problems: out};",
        );
        let problems = v["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_owned())
            .collect();
        (v["count"].as_u64().unwrap(), problems)
    }

    pub fn open(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }));
    }

    fn element(&self, css: &str) -> String {
        let found = self.call(
            reqwest::Method::POST,
            "/element",
            json!({"using": "css selector", "value": css}),
        );
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_owned()
    }

    /// Types `text` into the field `css` names, as keystrokes.
    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        );
    }

    /// Presses keys on whatever has the focus, as a person at a keyboard (no element chosen):
    /// each character a key; `TAB` and `ENTER` are WebDriver's Tab and Enter keys.
    pub fn press(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                let v = c.to_string();
                [
                    json!({"type": "keyDown", "value": v}),
                    json!({"type": "keyUp", "value": v}),
                ]
            })
            .collect();
        self.call(
            reqwest::Method::POST,
            "/actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        );
    }

    /// Clicks the element `css` names and lets the page it leads to load.
    pub fn click(&self, css: &str) {
        let id = self.element(css);
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            json!({}),
        );
    }

    /// Waits (up to 10 s) until the address is no longer `from`: a form post's navigation may
    /// still be under way when the click returns.
    pub fn wait_to_leave(&self, from: &str) -> String {
        let started = Instant::now();
        loop {
            let now = self.url();
            if now != from || started.elapsed() > Duration::from_secs(10) {
                return now;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The page's source once it contains `text` (waiting up to 10 s for a navigation that a
    /// click started to finish); the last source seen otherwise.
    pub fn source_with(&self, text: &str) -> String {
        let started = Instant::now();
        loop {
            let source = self.source();
            if source.contains(text) || started.elapsed() > Duration::from_secs(10) {
                return source;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", Value::Null)
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The page as the browser holds it now (after parsing).
    pub fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", Value::Null)
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn screenshot(&self) -> image::DynamicImage {
        let b64 = self.call(reqwest::Method::GET, "/screenshot", Value::Null);
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap())
            .unwrap();
        image::load_from_memory(&png).unwrap()
    }

    /// The whole page, not only what the window shows (Chromium's DevTools, through
    /// chromedriver).
    pub fn full_screenshot(&self) -> image::DynamicImage {
        let shot = self.call(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            json!({"cmd": "Page.captureScreenshot",
                   "params": {"format": "png", "captureBeyondViewport": true}}),
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        image::load_from_memory(&png).unwrap()
    }
}

/// WebDriver's Tab key.
pub const TAB: char = '\u{E004}';
/// WebDriver's Enter key.
pub const ENTER: char = '\u{E007}';

impl Drop for Chromium {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self
                .http
                .delete(format!("{}/session/{}", self.base, self.session))
                .send();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
