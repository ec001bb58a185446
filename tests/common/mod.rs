//! Test harness: spawns the real emulator on 127.0.0.1:0 and offers typed calls over HTTP.
//!
//! Every black-box test goes through here, so the tests do not know how the server is built;
//! pointing `Emu::external` at another address runs the same assertions against it.

#![allow(dead_code)]

use std::net::SocketAddr;

use serde_json::Value;
use tim_emulator::{Emulator, Settings};
use tokio::sync::oneshot;

/// The sdkappid the tests use unless they say otherwise.
pub const APP: u64 = 1_400_000_000;

/// A running emulator.
pub struct Emu {
    /// Where it listens.
    pub addr: SocketAddr,
    /// A client with connection reuse.
    pub http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
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

    /// An emulator with these settings.
    pub async fn start_with(settings: Settings) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback port 0");
        let addr = listener.local_addr().expect("bound address");
        let (tx, rx) = oneshot::channel::<()>();
        let state = Emulator::new(settings);
        tokio::spawn(async move {
            let _ = tim_emulator::serve(listener, state, async {
                let _ = rx.await;
            })
            .await;
        });
        Self {
            addr,
            http: reqwest::Client::new(),
            shutdown: Some(tx),
        }
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

    /// Stops the server.
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for Emu {
    fn drop(&mut self) {
        self.stop();
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
