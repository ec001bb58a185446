//! A loopback app backend for callback tests: records every callback it gets (query, content
//! type, raw and JSON body) and answers as the test tells it to.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// How the receiver answers.
#[derive(Clone)]
pub enum Reply {
    /// This JSON, HTTP 200.
    Json(Value),
    /// This status with a text body.
    Status(u16),
    /// This text, HTTP 200.
    Text(&'static str),
    /// Records the call, then never answers in time.
    Stall,
    /// Records the call, waits this long, then answers this JSON.
    Late(Duration, Value),
    /// Answers 307 to this URL.
    Redirect(String),
}

/// The vendor's "go on" answer.
pub fn allow() -> Reply {
    Reply::Json(json!({"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0}))
}

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Got {
    /// The query parameters.
    pub query: HashMap<String, String>,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body as text.
    pub raw: String,
    /// The body as JSON (`null` when it is not JSON).
    pub body: Value,
}

impl Got {
    /// The `CallbackCommand` of the query.
    pub fn command(&self) -> &str {
        self.query.get("CallbackCommand").map_or("", String::as_str)
    }
}

#[derive(Clone)]
struct Recorder {
    got: Arc<Mutex<Vec<Got>>>,
    reply: Arc<Mutex<Reply>>,
}

/// A running loopback backend; stops when dropped.
pub struct Receiver {
    /// Where to point `callback.url`.
    pub url: String,
    rec: Recorder,
    _stop: oneshot::Sender<()>,
}

async fn receive(
    State(rec): State<Recorder>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let query = form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let raw = String::from_utf8_lossy(&body).into_owned();
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    rec.got.lock().unwrap().push(Got {
        query,
        content_type,
        raw,
        body,
    });
    let reply = rec.reply.lock().unwrap().clone();
    match reply {
        Reply::Json(v) => axum::Json(v).into_response(),
        Reply::Status(s) => (StatusCode::from_u16(s).unwrap(), "backend broke").into_response(),
        Reply::Text(t) => t.into_response(),
        Reply::Stall => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::OK.into_response()
        }
        Reply::Late(wait, v) => {
            tokio::time::sleep(wait).await;
            axum::Json(v).into_response()
        }
        Reply::Redirect(to) => (
            StatusCode::TEMPORARY_REDIRECT,
            [(axum::http::header::LOCATION, to)],
        )
            .into_response(),
    }
}

impl Receiver {
    /// A backend on a free loopback port answering `reply`.
    pub async fn start(reply: Reply) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let rec = Recorder {
            got: Arc::default(),
            reply: Arc::new(Mutex::new(reply)),
        };
        let app = axum::Router::new()
            .route("/im-callback", axum::routing::post(receive))
            .with_state(rec.clone());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let stop = async {
                let _ = rx.await;
            };
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(stop)
                .await;
        });
        Self {
            url: format!("http://{addr}/im-callback"),
            rec,
            _stop: tx,
        }
    }

    /// Answers `reply` from now on.
    pub fn set_reply(&self, reply: Reply) {
        *self.rec.reply.lock().unwrap() = reply;
    }

    /// Everything received so far, in arrival order.
    pub fn received(&self) -> Vec<Got> {
        self.rec.got.lock().unwrap().clone()
    }

    /// The commands received so far.
    pub fn commands(&self) -> Vec<String> {
        self.received()
            .iter()
            .map(|g| g.command().to_string())
            .collect()
    }

    /// The JSON bodies of the `command` callbacks received so far.
    pub fn bodies(&self, command: &str) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|g| g.command() == command)
            .map(|g| g.body)
            .collect()
    }

    /// The raw body of the first `command` callback, if one came.
    pub fn raw(&self, command: &str) -> Option<String> {
        self.received()
            .into_iter()
            .find(|g| g.command() == command)
            .map(|g| g.raw)
    }

    /// Waits (bounded, about 5 s) for a request carrying `command`.
    pub async fn wait_for(&self, command: &str) -> Got {
        for _ in 0..250 {
            if let Some(g) = self.received().into_iter().find(|g| g.command() == command) {
                return g;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no {command} arrived; got {:?}", self.commands());
    }

    /// Waits (bounded, about 5 s) until `n` callbacks arrived; returns them all.
    pub async fn wait_count(&self, n: usize) -> Vec<Got> {
        for _ in 0..250 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{n} callbacks expected; got {:?}", self.commands());
    }
}

/// Asserts that `raw`'s top-level keys are exactly `keys`, in that order.
pub fn assert_keys_in_order(raw: &str, keys: &[&str]) {
    let v: Value = serde_json::from_str(raw).expect("JSON");
    let obj = v.as_object().expect("object");
    assert_eq!(obj.len(), keys.len(), "keys of {raw}");
    let mut at = 0;
    for k in keys {
        let needle = format!("\"{k}\":");
        let pos = raw[at..]
            .find(&needle)
            .unwrap_or_else(|| panic!("{k} missing or out of order in {raw}"));
        at += pos + needle.len();
    }
}
