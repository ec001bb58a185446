//! The common layer of every vendor request, in SPEC §1 order: path and method, service and
//! command, query parameters, app, caller and UserSig, rate, body size, JSON, account fields.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use tracing::Instrument;

use super::command::{Call, Command};
use super::registry;
use crate::emulator::Shared;
use crate::error::VendorError;
use crate::journal;
use crate::store::throttle::mono_nanos;
use crate::usersig;

/// The largest body the emulator reads (emulator choice: 1 MiB).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The query parameters every vendor request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommonQuery {
    /// `sdkappid`.
    pub sdkappid: u64,
    /// `identifier`.
    pub identifier: String,
    /// `usersig`.
    pub usersig: String,
}

impl CommonQuery {
    /// Reads the parameters in any order; the first occurrence of a repeated one wins. Checks
    /// `sdkappid` only (60012, 60006): the app check (70020) comes before the caller's
    /// `identifier` is looked at, see [`CommonQuery::check_identifier`].
    pub fn parse(query: Option<&str>) -> Result<Self, VendorError> {
        let (mut sdkappid, mut identifier, mut usersig) = (None, None, None);
        for (k, v) in query_pairs(query.unwrap_or("")) {
            let slot = match decode(k).as_ref() {
                "sdkappid" => &mut sdkappid,
                "identifier" => &mut identifier,
                "usersig" => &mut usersig,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(decode(v).into_owned());
            }
        }
        let raw = sdkappid.ok_or(VendorError::MissingSdkAppId)?;
        let sdkappid = parse_sdkappid(&raw)?;
        Ok(Self {
            sdkappid,
            identifier: identifier.unwrap_or_default(),
            usersig: usersig.unwrap_or_default(),
        })
    }

    /// 60004 when `identifier` is missing or empty.
    pub fn check_identifier(&self) -> Result<(), VendorError> {
        if self.identifier.is_empty() {
            return Err(VendorError::MissingIdentifier);
        }
        Ok(())
    }
}

/// The raw `key=value` pairs of a query string (`application/x-www-form-urlencoded`), not yet
/// decoded: only the few values the common layer reads are decoded.
fn query_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// A form-urlencoded key or value decoded (`+` is a space, `%XX` a byte, invalid UTF-8 replaced),
/// borrowed when there is nothing to decode, which is the usual case.
fn decode(raw: &str) -> Cow<'_, str> {
    if !raw.bytes().any(|b| b == b'%' || b == b'+') {
        return Cow::Borrowed(raw);
    }
    let spaced = raw.replace('+', " ");
    Cow::Owned(
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

fn parse_sdkappid(raw: &str) -> Result<u64, VendorError> {
    let digits = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
    match raw.parse::<u64>() {
        Ok(n) if digits && n > 0 => Ok(n),
        _ => Err(VendorError::BadSdkAppId(raw.to_string())),
    }
}

/// What the common layer learned about a request, for the journal.
#[derive(Debug, Default)]
struct Trace {
    body: Bytes,
    fault: Option<u64>,
    sdkappid: Option<u64>,
    command: Option<&'static Command>,
}

/// The `/v4/{service}/{command}` handler: serves the request, then logs one structured line and
/// journals it. At `debug` the request runs in a `request` span (sequential id, method, path);
/// at the default level no span is built.
///
/// A request completes (and is journaled, and its callbacks go out) even when the client gives
/// up waiting: the real service keeps working too. Most requests finish in their first poll,
/// which no disconnect can interrupt; one that has to wait (a body still arriving, a
/// before-callback, an injected delay) is handed to a task of its own, which the connection
/// going away does not cancel. (Spawning every request cost about a fifth of create_group's
/// throughput.) A panic in a handler answers 10002 naming the request id, is logged at error
/// level, and the emulator keeps serving.
pub async fn vendor(State(emu): State<Shared>, req: Request) -> Response {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let span = request_span(&req, id);
    let mut work = Box::pin(handle(emu, req, id).instrument(span));
    // A first poll with a waker that does nothing: whatever the work waits on is registered
    // again, with the task's own waker, when the spawned task polls it.
    let first = work
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
    if let std::task::Poll::Ready(resp) = first {
        return resp;
    }
    match tokio::spawn(work).await {
        Ok(resp) => resp,
        Err(e) => {
            tracing::error!(request_id = id, error = %e, "vendor request task failed");
            VendorError::EmulatorBug(id).into_response()
        }
    }
}

fn request_span(req: &Request, id: u64) -> tracing::Span {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return tracing::Span::none();
    }
    tracing::debug_span!("request", id, method = %req.method(), path = req.uri().path())
}

async fn handle(emu: Shared, req: Request, id: u64) -> Response {
    let started = Instant::now();
    let time_ms = emu.clock.now_ms();
    let (parts, body) = req.into_parts();
    let mut trace = Trace::default();
    let result = guarded(serve(&emu, &parts, body, &mut trace), id).await;
    let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    // The query was parsed already unless the request failed before that.
    let sdkappid = trace
        .sdkappid
        .or_else(|| lenient_sdkappid(parts.uri.query()));
    let code = result.as_ref().map_or_else(VendorError::code, |_| 0);
    emu.metrics.observe(trace.command, code, latency_us);
    let entry = (emu.journal.capacity() > 0)
        .then(|| journal_entry(&parts, sdkappid, &trace, &result, time_ms, latency_us));
    log_outcome(
        &parts,
        sdkappid,
        &trace,
        &result,
        entry.as_ref(),
        latency_us,
    );
    if let Some(entry) = entry {
        emu.journal.push(entry);
    }
    match result {
        Ok(resp) => resp,
        Err(e) => {
            // The rest of an unread body is still on the connection: say that it closes.
            let close = matches!(
                e,
                VendorError::BodyUnreadable(_) | VendorError::BodyTimeout(_)
            );
            let mut resp = e.into_response();
            if close {
                resp.headers_mut().insert(
                    axum::http::header::CONNECTION,
                    axum::http::HeaderValue::from_static("close"),
                );
            }
            resp
        }
    }
}

/// The one log line of a vendor request (issue 14 item 1). A failed request is logged at `info`
/// with what the app received (command, sdkappid, ErrorCode, ErrorInfo, the rule that refused
/// it, and the fault rule when one produced the answer); a successful one at `debug` only,
/// because a line per request costs about a fifth of a request's CPU under load. At `debug`
/// the `request` span already carries the method and path, so the line does not repeat them.
/// ErrorInfo and the rule id come from the journal entry when the journal keeps one.
fn log_outcome(
    parts: &Parts,
    sdkappid: Option<u64>,
    trace: &Trace,
    result: &Result<Response, VendorError>,
    entry: Option<&journal::Entry>,
    latency_us: u64,
) {
    let command = trace
        .command
        .map_or_else(|| command_word(parts), |c| c.name);
    let e = match result {
        Ok(_) => {
            tracing::debug!(
                sdkappid,
                command,
                error_code = 0,
                latency_us,
                "vendor request"
            );
            return;
        }
        Err(e) => e,
    };
    if !tracing::enabled!(tracing::Level::INFO) {
        return;
    }
    let (info, rule): (Cow<'_, str>, Cow<'_, str>) = match entry {
        Some(en) => (
            Cow::Borrowed(&en.error_info),
            Cow::Borrowed(en.rule_id.as_deref().unwrap_or("")),
        ),
        None => (Cow::Owned(e.to_string()), Cow::Owned(rule_id(trace, e))),
    };
    tracing::info!(
        sdkappid,
        command,
        error_code = e.code(),
        error_info = %info,
        rule_id = %rule,
        fault = trace.fault,
        latency_us,
        "vendor request failed"
    );
}

/// The rule that refused a request: `fault:N` when fault rule N produced the answer, else the
/// error's own rule id.
fn rule_id(trace: &Trace, e: &VendorError) -> String {
    match trace.fault {
        Some(id) => format!("fault:{id}"),
        None => e.rule_id().to_string(),
    }
}

fn journal_entry(
    parts: &Parts,
    sdkappid: Option<u64>,
    trace: &Trace,
    result: &Result<Response, VendorError>,
    time_ms: u64,
    latency_us: u64,
) -> journal::Entry {
    let (body, body_truncated) = journal::body_text(&trace.body);
    let mut truncated = journal::Truncated::default();
    let note = result
        .as_ref()
        .ok()
        .and_then(|r| r.extensions().get::<journal::Note>())
        .map(|n| n.0.clone());
    let (error_code, error_info, rule_id) = match result {
        Ok(_) => (0, String::new(), None),
        Err(e) => {
            let rule = rule_id(trace, e);
            let (info, cut) = journal::clip_cow(Cow::Owned(e.to_string()));
            truncated.error_info = cut;
            (e.code(), info.into_owned(), Some(rule))
        }
    };
    // A served command's path and word are static (the registry's); only unknown ones are
    // copied, at most `journal::TEXT_LIMIT` bytes each. That keeps the entry at three
    // allocations: query, body and the entry itself.
    let (path, command) = match trace.command {
        Some(c) => (Cow::Borrowed(c.full_path()), Cow::Borrowed(c.name)),
        None => {
            let (path, path_cut) = journal::clip(parts.uri.path());
            let (command, command_cut) = journal::clip(command_word(parts));
            (truncated.path, truncated.command) = (path_cut, command_cut);
            (Cow::Owned(path), Cow::Owned(command))
        }
    };
    let (method, method_cut) = journal::clip_cow(journal::method_name(&parts.method));
    let (query, query_cut) = journal::clip(parts.uri.query().unwrap_or(""));
    (truncated.method, truncated.query) = (method_cut, query_cut);
    journal::Entry {
        id: 0,
        time_ms,
        method,
        path,
        sdkappid,
        command,
        query,
        body,
        body_truncated,
        body_bytes: trace.body.len(),
        error_code,
        error_info,
        rule_id,
        latency_us,
        truncated,
        note,
    }
}

/// Runs `work`; a panic inside it becomes 10002 naming request `id`, logged at error level.
async fn guarded(
    work: impl std::future::Future<Output = Result<Response, VendorError>>,
    id: u64,
) -> Result<Response, VendorError> {
    std::panic::AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| {
            let what = panic_text(panic.as_ref());
            tracing::error!(
                request_id = id,
                panic = what,
                "a handler panicked: this is an emulator bug"
            );
            Err(VendorError::EmulatorBug(id))
        })
}

/// The message of a panic payload (a `&str` or a `String`, as `panic!` makes them).
fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
}

fn command_word(parts: &Parts) -> &str {
    parts.uri.path().rsplit('/').next().unwrap_or("")
}

/// The first `sdkappid` of the query when it is a positive integer (for logs and the journal,
/// whatever else is wrong with the request).
fn lenient_sdkappid(query: Option<&str>) -> Option<u64> {
    query_pairs(query.unwrap_or(""))
        .find(|(k, _)| decode(k) == "sdkappid")
        .and_then(|(_, v)| parse_sdkappid(&decode(v)).ok())
}

fn route(parts: &Parts) -> Result<&'static Command, VendorError> {
    let path = parts.uri.path();
    let mut segs = path.strip_prefix("/v4/").unwrap_or("").split('/');
    let (Some(service), Some(command), None) = (segs.next(), segs.next(), segs.next()) else {
        return Err(not_vendor_path(path));
    };
    if service.is_empty() || command.is_empty() {
        return Err(not_vendor_path(path));
    }
    if parts.method != Method::POST {
        return Err(VendorError::HttpParse(format!(
            "{} is not allowed; vendor commands are called with POST",
            parts.method
        )));
    }
    registry::lookup(service, command)
}

fn not_vendor_path(path: &str) -> VendorError {
    VendorError::HttpParse(format!("path {path:?} is not /v4/{{service}}/{{command}}"))
}

/// The common checks in SPEC order. The body is read first (so the journal has it even for
/// refused requests) but its size is judged at its place in the order. Injected faults apply
/// once the command, the app and the UserSig are known to be good, before the rate limiter.
async fn serve(
    emu: &Shared,
    parts: &Parts,
    body: Body,
    trace: &mut Trace,
) -> Result<Response, VendorError> {
    let bytes = read_body(body, emu.body_timeout).await;
    if let Ok(b) = &bytes {
        trace.body = b.clone();
    }
    let command = route(parts)?;
    trace.command = Some(command);
    if parts.headers.contains_key(crate::apps::CALLBACK_MARKER) {
        tracing::warn!(
            path = parts.uri.path(),
            "a callback of this emulator came back to its own vendor API; refused to stop a loop"
        );
        return Err(VendorError::CallbackLoop);
    }
    let q = CommonQuery::parse(parts.uri.query())?;
    trace.sdkappid = Some(q.sdkappid);
    let policy = emu.apps.policy(q.sdkappid)?;
    q.check_identifier()?;
    if q.usersig.is_empty() {
        return Err(VendorError::MissingUserSig);
    }
    if let Some(key) = &policy.key {
        let now = emu.clock.now_secs();
        usersig::verify(&q.usersig, q.sdkappid, &q.identifier, key, now)?;
    }
    apply_fault(emu, command, q.sdkappid, trace).await?;
    check_rate(emu, q.sdkappid, &policy.limits, command)?;
    let body = bytes?;
    super::body::check(&body)?;
    let client_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    // Declared before the app: it drops after the call's handle, and then forgets an app the
    // request stored nothing in (a read, a refusal), so such requests leave no state behind.
    let _lease = emu.store.lease(q.sdkappid);
    let app = emu.store.app(q.sdkappid, policy);
    let call = Call {
        emu: emu.clone(),
        app,
        identifier: q.identifier,
        body,
        client_ip,
    };
    command.run(call).await
}

/// Waits and/or fails as the first matching fault rule says.
async fn apply_fault(
    emu: &Shared,
    command: &Command,
    sdkappid: u64,
    trace: &mut Trace,
) -> Result<(), VendorError> {
    let Some(fault) = emu.faults.pick(command.name, sdkappid) else {
        return Ok(());
    };
    trace.fault = Some(fault.rule_id);
    if fault.delay_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(fault.delay_ms)).await;
    }
    match fault.error {
        Some(e) => Err(e),
        None => {
            trace.fault = None;
            Ok(())
        }
    }
}

fn check_rate(
    emu: &Shared,
    sdkappid: u64,
    limits: &crate::apps::Limits,
    command: &Command,
) -> Result<(), VendorError> {
    if emu
        .store
        .try_call(sdkappid, command.rate, limits, mono_nanos())
    {
        return Ok(());
    }
    Err(VendorError::RateLimited {
        command: command.name,
        per_second: crate::store::Store::per_second(command.rate, limits),
    })
}

/// The body, read within `timeout` (a client that stops sending mid-body gets 60002 and the
/// connection closes, instead of holding it open for ever).
async fn read_body(body: Body, timeout: std::time::Duration) -> Result<Bytes, VendorError> {
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(VendorError::BodyUnreadable(MAX_BODY_BYTES)),
        Err(_) => Err(VendorError::BodyTimeout(
            u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        )),
    }
}

/// Every unmatched route: the vendor envelope (60002) for vendor-looking paths, a JSON 404 for
/// the control plane.
pub async fn fallback(state: State<Shared>, req: Request) -> Response {
    let path = req.uri().path();
    if path.starts_with("/v4/") {
        return vendor(state, req).await;
    }
    if path.starts_with("/_emulator") {
        let body = serde_json::json!({"error": format!("no control-plane endpoint {} {path}", req.method())});
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    }
    not_vendor_path(path).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_checks_follow_the_spec_order() {
        let table: &[(Option<&str>, Result<(), u32>)] = &[
            (Some("sdkappid=1&identifier=admin&usersig=x"), Ok(())),
            (
                Some("usersig=x&identifier=admin&sdkappid=1&random=5&contenttype=json"),
                Ok(()),
            ),
            (None, Err(60012)),
            (Some("identifier=admin&usersig=x"), Err(60012)),
            (Some("sdkappid=abc&identifier=admin"), Err(60006)),
            (Some("sdkappid=0&identifier=admin"), Err(60006)),
            (Some("sdkappid=-1&identifier=admin"), Err(60006)),
            (Some("sdkappid=%2B1&identifier=admin"), Err(60006)),
            (Some("sdkappid=&identifier=admin"), Err(60006)),
            (
                Some("sdkappid=99999999999999999999999&identifier=admin"),
                Err(60006),
            ),
            (Some("sdkappid=1"), Err(60004)),
            (Some("sdkappid=1&identifier="), Err(60004)),
            (Some("sdkappid=1&identifier=admin"), Ok(())),
        ];
        for (q, want) in table {
            let got = CommonQuery::parse(*q)
                .and_then(|q| q.check_identifier())
                .map_err(|e| e.code());
            assert_eq!(got, *want, "{q:?}");
        }
    }

    #[test]
    fn query_values_are_form_decoded_only_when_needed() {
        let table = [
            ("abc", "abc"),
            ("a%20b", "a b"),
            ("a+b", "a b"),
            ("a%2Bb", "a+b"),
            ("%E7%BE%A4", "群"),
            ("%FF", "\u{FFFD}"),
            ("a=b", "a=b"),
            ("%", "%"),
        ];
        for (raw, want) in table {
            assert_eq!(decode(raw), want, "{raw}");
        }
        assert!(matches!(decode("plain"), Cow::Borrowed(_)));
        let q = CommonQuery::parse(Some("%73dkappid=7&identifier=a+b&usersig=x=y&&"))
            .expect("encoded key, plus, '=' in a value, empty pairs");
        assert_eq!(
            (q.sdkappid, q.identifier.as_str(), q.usersig.as_str()),
            (7, "a b", "x=y")
        );
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_10002_naming_the_request() {
        let got = guarded(async { panic!("boom") }, 42).await;
        let e = got.map(|_| ()).expect_err("a panic is an error answer");
        assert_eq!(e.code(), 10002);
        assert!(e.to_string().contains("request id 42"), "{e}");
        assert!(e.to_string().contains("bug"), "{e}");
        let fine = guarded(async { Err(VendorError::MissingUserSig) }, 1).await;
        assert_eq!(fine.map(|_| ()).map_err(|e| e.code()), Err(70002));
    }

    #[test]
    fn the_first_of_repeated_parameters_wins() {
        let q = CommonQuery::parse(Some("sdkappid=5&sdkappid=6&identifier=a%20b&usersig=x"))
            .expect("valid");
        assert_eq!((q.sdkappid, q.identifier.as_str()), (5, "a b"));
    }
}
