//! Test harness: spawns the real emulator on 127.0.0.1:0 and offers typed calls over HTTP.
//!
//! Every black-box test goes through here, so the tests do not know how the server is built;
//! pointing `Emu::external` at another address runs the same assertions against it. Each
//! emulator is started through the library's embedding API (`Emulator::builder()`, issue 14),
//! so that API is exercised by every test.

#![allow(dead_code)]

pub mod receiver;

use std::net::SocketAddr;

use serde_json::{Value, json};
use tim_emulator::apps::{Apps, Limits};
use tim_emulator::{Emulator, EmulatorHandle, Settings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Every vendor command the emulator serves, as `service/command`, from the registry.
pub fn served() -> Vec<String> {
    tim_emulator::api::registry::COMMANDS
        .iter()
        .map(|c| c.path())
        .collect()
}

/// The sdkappid the tests use unless they say otherwise.
pub const APP: u64 = 1_400_000_000;

/// A running emulator.
pub struct Emu {
    /// Where it listens.
    pub addr: SocketAddr,
    /// A client with connection reuse.
    pub http: reqwest::Client,
    handle: EmulatorHandle,
}

/// A raw answer: status, content type and body text.
pub struct Raw {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body as text.
    pub body: String,
}

impl Raw {
    /// The body as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Emu {
    /// Zero-config emulator with a fixed ID seed.
    pub async fn start() -> Self {
        let mut s = Settings::zero_config();
        s.id_seed = Some(7);
        Self::start_with(s).await
    }

    /// Zero-config emulator with a fixed ID seed and no throttle or quota, for tests that make
    /// many calls quickly (the default 100 create_group calls per second would make them flaky).
    pub async fn start_unlimited() -> Self {
        Self::start_with_limits(Limits::UNLIMITED).await
    }

    /// Zero-config emulator with a fixed ID seed and these limits for every app.
    pub async fn start_with_limits(limits: Limits) -> Self {
        let mut s = Settings::zero_config();
        s.id_seed = Some(7);
        s.apps = Apps::zero_config(limits);
        Self::start_with(s).await
    }

    /// An emulator with these settings.
    pub async fn start_with(settings: Settings) -> Self {
        Self::start_on(settings, "127.0.0.1:0".parse().expect("an address")).await
    }

    /// An emulator with these settings on `addr` (a loopback address; port 0 picks one).
    pub async fn start_on(settings: Settings, addr: SocketAddr) -> Self {
        let handle = Emulator::builder()
            .settings(settings)
            .listen(addr)
            .start()
            .await
            .expect("the emulator starts");
        Self {
            addr: handle.addr(),
            http: reqwest::Client::new(),
            handle,
        }
    }

    /// The embedding handle (control-plane helpers, the shared state).
    pub fn handle(&self) -> &EmulatorHandle {
        &self.handle
    }

    /// The base URL.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The standard query for `identifier` on app `sdkappid`.
    pub fn query(sdkappid: u64, identifier: &str) -> String {
        format!(
            "sdkappid={sdkappid}&identifier={identifier}&usersig=test-sig&random=12345&contenttype=json"
        )
    }

    /// POSTs `body` to `/v4/{path}?{query}` and returns the raw answer.
    pub async fn post_raw(&self, path: &str, query: &str, body: impl Into<reqwest::Body>) -> Raw {
        let url = format!("{}/v4/{path}?{query}", self.base());
        let resp = self
            .http
            .post(url)
            .body(body)
            .send()
            .await
            .expect("request is answered");
        to_raw(resp).await
    }

    /// Sends any method to any path-and-query.
    pub async fn request(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        body: Vec<u8>,
    ) -> Raw {
        let url = format!("{}{path_and_query}", self.base());
        let resp = self
            .http
            .request(method, url)
            .body(body)
            .send()
            .await
            .expect("request is answered");
        to_raw(resp).await
    }

    /// Calls `service/command` as `admin` on [`APP`]; asserts a well-formed envelope.
    pub async fn call(&self, path: &str, body: Value) -> Value {
        self.call_as(APP, "admin", path, body).await
    }

    /// Calls as `identifier` on `sdkappid`; asserts a well-formed envelope.
    pub async fn call_as(&self, sdkappid: u64, identifier: &str, path: &str, body: Value) -> Value {
        let raw = self
            .post_raw(path, &Self::query(sdkappid, identifier), body.to_string())
            .await;
        assert_envelope(&raw);
        raw.json()
    }

    /// Imports accounts on [`APP`].
    pub async fn import(&self, ids: &[&str]) {
        for id in ids {
            let v = self
                .call(
                    "im_open_login_svc/account_import",
                    serde_json::json!({"UserID": id}),
                )
                .await;
            assert_eq!(code(&v), 0, "{v}");
        }
    }

    /// create_group on [`APP`].
    pub async fn create_group(&self, body: Value) -> Value {
        self.call("group_open_http_svc/create_group", body).await
    }

    /// get_group_info of one group on [`APP`]: the group's entry.
    pub async fn group_info(&self, id: &str) -> Value {
        let v = self
            .call(
                "group_open_http_svc/get_group_info",
                serde_json::json!({"GroupIdList": [id]}),
            )
            .await;
        assert_eq!(code(&v), 0, "{v}");
        v["GroupInfo"][0].clone()
    }

    /// Imports many accounts on [`APP`] with multiaccount_import (100 per call).
    pub async fn import_many(&self, ids: &[String]) {
        for chunk in ids.chunks(100) {
            let v = self
                .call(
                    "im_open_login_svc/multiaccount_import",
                    json!({"Accounts": chunk}),
                )
                .await;
            assert_eq!(code(&v), 0, "{v}");
            assert_eq!(v["FailAccounts"], json!([]), "{v}");
        }
    }

    /// How many groups [`APP`] holds (get_appid_group_list's TotalCount).
    pub async fn group_total(&self) -> u64 {
        let v = self
            .call("group_open_http_svc/get_appid_group_list", json!({}))
            .await;
        assert_eq!(code(&v), 0, "{v}");
        v["TotalCount"].as_u64().expect("TotalCount is a number")
    }

    /// Whether the group `id` exists on [`APP`] (get_group_info's per-group ErrorCode; an ID
    /// no group could have, 10015, does not exist either).
    pub async fn group_exists(&self, id: &str) -> bool {
        match code(&self.group_info(id).await) {
            0 => true,
            10010 | 10015 => false,
            other => panic!("unexpected per-group ErrorCode {other}"),
        }
    }

    /// Writes `request` (a whole HTTP/1.1 request, head and body) on a fresh TCP connection and
    /// reads the answer until the server closes it. For what reqwest will not send as is:
    /// chunked bodies, odd Host headers.
    pub async fn raw_http(&self, request: &[u8]) -> Raw {
        let mut s = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connect to the emulator");
        s.write_all(request).await.expect("write the request");
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.expect("read the answer");
        parse_http_answer(&buf)
    }

    /// Stops the server.
    pub fn stop(&mut self) {
        self.handle.stop();
    }
}

async fn to_raw(resp: reqwest::Response) -> Raw {
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = resp.text().await.expect("body is text");
    Raw {
        status,
        content_type,
        body,
    }
}

/// Parses an HTTP/1.1 answer (content-length or chunked body).
fn parse_http_answer(buf: &[u8]) -> Raw {
    let text = String::from_utf8_lossy(buf);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of head in {text}"));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let chunked = header("transfer-encoding").is_some_and(|v| v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Raw {
        status,
        content_type: header("content-type"),
        body,
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

/// The ErrorInfo of an answer.
pub fn info(v: &Value) -> &str {
    v["ErrorInfo"]
        .as_str()
        .unwrap_or_else(|| panic!("no ErrorInfo in {v}"))
}

/// The ErrorCode of an answer.
pub fn code(v: &Value) -> i64 {
    v["ErrorCode"]
        .as_i64()
        .unwrap_or_else(|| panic!("no ErrorCode in {v}"))
}

/// Asserts the vendor envelope: HTTP 200, JSON, and the body opening with `ActionStatus`,
/// `ErrorInfo`, `ErrorCode` in that order, consistent with each other.
pub fn assert_envelope(raw: &Raw) {
    assert_eq!(raw.status, 200, "HTTP status; body {}", raw.body);
    assert_eq!(
        raw.content_type.as_deref(),
        Some("application/json"),
        "content type; body {}",
        raw.body
    );
    let b = &raw.body;
    assert!(
        b.starts_with("{\"ActionStatus\":"),
        "body must open with ActionStatus: {b}"
    );
    let (s, i, c) = (
        b.find("\"ActionStatus\""),
        b.find("\"ErrorInfo\""),
        b.find("\"ErrorCode\""),
    );
    assert!(s < i && i < c, "envelope order: {b}");
    let v = raw.json();
    let ok = v["ActionStatus"] == "OK";
    assert!(ok || v["ActionStatus"] == "FAIL", "{b}");
    assert_eq!(ok, code(&v) == 0, "ActionStatus agrees with ErrorCode: {b}");
    assert_eq!(
        ok,
        v["ErrorInfo"] == "",
        "ErrorInfo empty exactly on success: {b}"
    );
}
