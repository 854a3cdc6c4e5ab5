//! The door before every door: what a request carries is checked here once, for the whole
//! application, before any handler or query sees it.
//!
//! - **Control characters** (NUL, escape, C1 …) in the path, in a query parameter or in a
//!   form field are a client's mistake, answered 400 (path) or 422 naming the field, in the
//!   form of the request's door. PostgreSQL refuses NUL in text, and before this check such a
//!   value reached it and came back as a 503 "retry later". Form fields may hold line breaks
//!   and tabs (a comment); nothing else may. JSON bodies are checked by their parser
//!   (`domain::api_body`), multipart files by the file readers (`survey::table`).
//! - **Slow senders**: a request's body must keep arriving — after a grace period it must have
//!   come at an average of at least `body_min_rate` bytes a second (Apache's mod_reqtimeout
//!   `body=20,MinRate=500` rule) — or it is cut off with 408 and the connection closed. The
//!   head's own deadline is actix's `client_request_timeout` (set in `startup`).
//! - **Connections per address**: each connection is counted per peer address when it opens
//!   (`ConnectionCount`, `HttpServer::on_connect`); a request on a connection beyond the cap
//!   is answered 429 and the connection closed. Behind the operator's reverse proxy every
//!   connection comes from the proxy, so the cap is the proxy's to apply and is off here.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::HttpMessage;
use futures_util::{Stream, StreamExt};

use super::errors::{at_door, Fault};
use super::MAX_BODY;
use crate::config::ConnectionLimits;
use crate::domain::text;
use crate::domain::FieldError;
use crate::state::AppState;

/// Open connections per peer address, shared by every worker of the server.
#[derive(Clone, Default)]
pub struct ConnectionCount {
    open: Arc<Mutex<HashMap<IpAddr, u32>>>,
}

/// One connection's place in the count: given back when the connection closes.
pub struct ConnectionSlot {
    count: ConnectionCount,
    ip: IpAddr,
    /// How many connections of its address were open when this one opened (itself included).
    pub nth: u32,
}

impl ConnectionCount {
    /// Counts a new connection from `ip`.
    pub fn open(&self, ip: IpAddr) -> ConnectionSlot {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(ip).or_insert(0);
        *n += 1;
        ConnectionSlot {
            count: self.clone(),
            ip,
            nth: *n,
        }
    }

    /// Connections open from `ip` now.
    pub fn of(&self, ip: IpAddr) -> u32 {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.get(&ip).copied().unwrap_or(0)
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self.count.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

pub async fn guard_input(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // Refusals are answered here, as responses, so the headers middleware above sees them.
    let refuse = |req: ServiceRequest, fault: Fault| {
        let resp = at_door(req.request(), fault).error_response();
        Ok(req.into_response(resp).map_into_right_body())
    };
    let limits = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.connection_limits)
        .unwrap_or_default();
    if let Some(slot) = req.conn_data::<ConnectionSlot>() {
        if limits.per_address > 0 && slot.nth > limits.per_address {
            let mut resp =
                at_door(req.request(), Fault::RateLimited(Duration::from_secs(1))).error_response();
            resp.head_mut()
                .set_connection_type(actix_web::http::ConnectionType::Close);
            return Ok(req.into_response(resp).map_into_right_body());
        }
    }
    if let Some(fault) = check_path(req.path()) {
        return refuse(req, fault);
    }
    if let Some(fault) = check_pairs(req.query_string().as_bytes(), "query", false) {
        return refuse(req, fault);
    }
    let timed_out = Arc::new(AtomicBool::new(false));
    if has_body(&req) {
        let payload = req.take_payload();
        let deadline = Deadline::new(payload, limits, Arc::clone(&timed_out));
        if is_form(&req) {
            // A form's fields are read here to be checked, then handed on unchanged.
            let body = match read_all(deadline).await {
                Ok(body) => body,
                Err(fault) => return refuse(req, fault),
            };
            if let Some(fault) = check_pairs(&body, "form", true) {
                return refuse(req, fault);
            }
            req.set_payload(Payload::from(body));
        } else {
            let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
                Box::pin(deadline);
            req.set_payload(Payload::from(stream));
        }
    }
    // (The request must not be cloned before routing: the router needs it unshared.)
    let resp = next.call(req).await?;
    if timed_out.load(Ordering::Relaxed) {
        // Whatever the handler made of its cut-off body, the answer is that it was too slow.
        let mut slow = at_door(resp.request(), Fault::TimedOut).error_response();
        slow.head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
        return Ok(resp.into_response(slow).map_into_right_body());
    }
    Ok(resp.map_into_left_body())
}

fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

fn is_form(req: &ServiceRequest) -> bool {
    req.content_type()
        .trim()
        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

/// Reads a form body, at most [`MAX_BODY`] bytes.
async fn read_all(
    mut payload: impl Stream<Item = Result<Bytes, PayloadError>> + Unpin,
) -> Result<Bytes, Fault> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match e {
            PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => Fault::TimedOut,
            _ => Fault::BadRequest,
        })?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(Fault::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A control character in the percent-decoded path: 400.
pub fn check_path(path: &str) -> Option<Fault> {
    let decoded = percent_decode(path.as_bytes(), false);
    String::from_utf8_lossy(&decoded)
        .chars()
        .any(char::is_control)
        .then_some(Fault::BadRequest)
}

/// A control character in a name or value of urlencoded pairs (a query string or a form
/// body): 422 naming the field and where in it. Line breaks and tabs are allowed in a form's
/// values (a comment), nowhere else. Pairs that do not decode are left to the handler.
pub fn check_pairs(bytes: &[u8], what: &str, multiline_values: bool) -> Option<Fault> {
    if bytes.is_empty() {
        return None;
    }
    let pairs = serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes).ok()?;
    for (name, value) in &pairs {
        let field = text::clip(name, 40);
        let found = text::first_control(name, false)
            .map(|(at, c)| ("the name", at, c))
            .or_else(|| {
                text::first_control(value, multiline_values).map(|(at, c)| ("the value", at, c))
            });
        if let Some((part, at, c)) = found {
            let code = text::codepoint(c);
            return Some(Fault::Invalid(vec![FieldError::new(
                field.clone(),
                format!(
                    "Trường “{field}” chứa ký tự điều khiển {code} ở ký tự thứ {at}: hãy xoá ký tự này rồi gửi lại."
                ),
                format!("{what} field '{field}': {part} holds the control character {code} at character {at}"),
            )]));
        }
    }
    None
}

/// `%XX` decoded (and `+` as a space in a form); malformed escapes kept as they are.
fn percent_decode(bytes: &[u8], plus_is_space: bool) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// A request body that must keep arriving: after `grace`, at least `min_rate` bytes a second
/// on average, else it ends with a timed-out error (and the flag is set for the middleware).
struct Deadline {
    inner: Payload,
    started: Instant,
    received: u64,
    grace: Duration,
    min_rate: f64,
    timer: Pin<Box<tokio::time::Sleep>>,
    timed_out: Arc<AtomicBool>,
}

impl Deadline {
    fn new(inner: Payload, limits: ConnectionLimits, timed_out: Arc<AtomicBool>) -> Deadline {
        let started = Instant::now();
        Deadline {
            inner,
            started,
            received: 0,
            grace: limits.body_grace,
            min_rate: limits.body_min_rate.max(1.0),
            timer: Box::pin(tokio::time::sleep(limits.body_grace)),
            timed_out,
        }
    }

    /// When the body must have arrived (so far) by.
    fn due(&self) -> Instant {
        self.started + self.grace + Duration::from_secs_f64(self.received as f64 / self.min_rate)
    }

    fn expire(&mut self) -> Poll<Option<Result<Bytes, PayloadError>>> {
        self.timed_out.store(true, Ordering::Relaxed);
        Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the body arrived too slowly",
        )))))
    }
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.timed_out.load(Ordering::Relaxed) {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.received += chunk.len() as u64;
                let due = this.due();
                if Instant::now() > due {
                    return this.expire();
                }
                this.timer
                    .as_mut()
                    .reset(tokio::time::Instant::from_std(due));
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => this.expire(),
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::vietnamese;
    use proptest::prelude::*;

    #[test]
    fn control_characters_are_refused_where_they_are_and_line_breaks_only_in_forms() {
        assert!(check_path("/q/abc%00").is_some());
        assert!(check_path("/q/Qu%E1%BA%A7y").is_none());
        assert!(check_path("/q/%zz").is_none());
        assert!(check_pairs(b"username=a%00b", "form", true).is_some());
        assert!(check_pairs(b"comment=T%E1%BB%91t%0D%0Aqu%C3%A1", "form", true).is_none());
        assert!(check_pairs(b"q=a%0Ab", "query", false).is_some());
        assert!(check_pairs(b"q=%C2%85", "query", false).is_some(), "C1 NEL");
        let Some(Fault::Invalid(errors)) = check_pairs(b"x=1&ten=An%1B", "form", true) else {
            panic!("refused")
        };
        assert_eq!(errors[0].field, "ten");
        assert!(
            errors[0].message_en.contains("U+001B at character 3"),
            "{errors:?}"
        );
        assert!(errors[0].message_vi.contains("ký tự điều khiển U+001B"));
    }

    #[test]
    fn a_long_field_name_is_clipped_in_the_message() {
        let body = format!("{}=%00", "ư".repeat(10_000));
        let Some(Fault::Invalid(errors)) = check_pairs(body.as_bytes(), "form", true) else {
            panic!("refused")
        };
        assert!(errors[0].message_en.len() < 300);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None,
            rng_seed: proptest::test_runner::RngSeed::Fixed(2026), ..ProptestConfig::default() })]

        /// Any Vietnamese text sent as a form field is refused exactly when it holds a control
        /// character other than a line break or tab.
        #[test]
        fn the_form_check_agrees_with_the_text_rules(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let value = vietnamese::text(&bytes);
            let body = serde_urlencoded::to_string([("comment", value.as_str())]).unwrap();
            let refused = check_pairs(body.as_bytes(), "form", true).is_some();
            prop_assert_eq!(refused, text::first_control(&value, true).is_some());
            let path = format!("/q/{}", body);
            let _ = check_path(&path);
        }
    }
}
