//! One callback exchange: POST the JSON body to the signed URL, wait at most the timeout, and
//! describe what happened as a [`Delivery`] (never an error: failures are data here).

use std::time::{Duration, Instant};

use crate::clock::Clock;

use super::log::Delivery;
use super::url::Target;

/// The most of an answer body the emulator reads and logs (64 KiB); the rest is cut off.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// What to send: the target, the command, the body and how long to wait.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Where and for whom.
    pub target: Target,
    /// The callback command.
    pub command: &'static str,
    /// The JSON body as sent, fields in the vendor's order.
    pub body: Vec<u8>,
    /// The most the whole exchange may take.
    pub timeout: Duration,
}

/// The backend's answer, as far as it was read.
struct Answer {
    status: u16,
    body: String,
    /// The full length in bytes, when known.
    bytes: Option<u64>,
    /// Whether reading stopped at [`MAX_ANSWER_BYTES`] with more to come.
    truncated: bool,
}

/// Sends `out` with `client` and records the result as delivery number `seq`.
/// The time (`RequestTime`, the log's `time_ms`) is `clock`'s.
pub async fn deliver(client: &reqwest::Client, out: Outgoing, seq: u64, clock: &Clock) -> Delivery {
    let time_ms = clock.now_ms();
    let url = out.target.url(out.command, time_ms / 1000);
    let started = Instant::now();
    let result = tokio::time::timeout(out.timeout, exchange(client, &url, &out.body)).await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (answer, error) = match result {
        Ok(Ok(a)) => (Some(a), None),
        Ok(Err(e)) => (None, Some(e)),
        Err(_) => (
            None,
            Some(format!(
                "timeout: no answer within {} ms",
                out.timeout.as_millis()
            )),
        ),
    };
    // The body moves into the delivery as text, no copy; the log cuts it when it keeps it.
    let request_body = String::from_utf8(out.body)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Delivery {
        seq,
        time_ms,
        sdkappid: out.target.sdkappid,
        command: out.command,
        url,
        request_body_bytes: request_body.len(),
        request_body,
        status: answer.as_ref().map(|a| a.status),
        response_body_bytes: answer.as_ref().and_then(|a| a.bytes),
        response_body_truncated: answer.as_ref().is_some_and(|a| a.truncated),
        response_body: answer.map(|a| a.body),
        error,
        latency_ms,
        decision: None,
    }
}

async fn exchange(client: &reqwest::Client, url: &str, body: &[u8]) -> Result<Answer, String> {
    let mut resp = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(crate::apps::CALLBACK_MARKER, "1")
        .body(body.to_vec())
        .send()
        .await
        .map_err(|e| error_text(&e))?;
    let status = resp.status().as_u16();
    let announced = resp.content_length();
    let mut bytes = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = resp.chunk().await.map_err(|e| error_text(&e))? {
        let room = MAX_ANSWER_BYTES - bytes.len();
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        bytes.extend_from_slice(&chunk);
    }
    let read = bytes.len() as u64;
    let body = String::from_utf8_lossy(&bytes).into_owned();
    Ok(Answer {
        status,
        body,
        bytes: announced.or((!truncated).then_some(read)),
        truncated,
    })
}

/// The error and its causes on one line: reqwest's own text alone hides "connection refused".
fn error_text(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
