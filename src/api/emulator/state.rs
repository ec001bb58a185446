//! `GET /_emulator/state` exports the whole state as the state document; `PUT` replaces the
//! whole state with one, all or nothing (a refused document changes nothing and answers 400).
//!
//! Both stream and run their heavy part on a blocking thread, so a large document never stalls
//! the runtime's workers and is never held whole in memory. The export is written straight from
//! the store ([`crate::snapshot::write_document`], the same code the state file uses) in
//! 256 KiB chunks that the body sends as they come; the import parses the body as it arrives
//! and builds the new state item by item (at most 256 MiB; a body that stops arriving for
//! `--body-timeout-ms` is refused).

use std::io::{self, BufReader, Write};
use std::pin::Pin;
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::io::{StreamReader, SyncIoBridge};

use super::reply::ControlError;
use crate::emulator::Shared;
use crate::snapshot::write_document;

/// The largest state document `PUT` reads (emulator choice: 256 MiB).
pub const MAX_STATE_BYTES: usize = 256 << 20;

/// The size of the chunks the export is sent in.
const CHUNK: usize = 256 << 10;

/// The whole state, streamed.
pub async fn get(State(emu): State<Shared>) -> Response {
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        let mut out = ChunkSender {
            tx,
            buf: Vec::with_capacity(CHUNK),
        };
        let written = write_document(&emu, &mut out).and_then(|()| out.flush());
        if let Err(e) = written {
            // The body ends with an error, so the client sees a broken transfer rather than a
            // document cut short (a gone client just ends the export).
            let _ = out.tx.blocking_send(Err(e));
        }
    });
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// A writer that hands full chunks to the response body; fails once the client is gone.
struct ChunkSender {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl Write for ChunkSender {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx
            .blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| io::Error::other("the client is gone"))
    }
}

/// Replaces the whole state with the body's document, parsed and built as it arrives (the
/// body is never held whole; see [`crate::Emulator::import_from_reader`]).
pub async fn put(
    State(emu): State<Shared>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ControlError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_STATE_BYTES as u64) {
        return Err(too_large());
    }
    let chunks = body_chunks(body, emu.body_timeout);
    let reader = BufReader::with_capacity(64 << 10, SyncIoBridge::new(StreamReader::new(chunks)));
    let imported = tokio::task::spawn_blocking(move || emu.import_from_reader(reader))
        .await
        .map_err(|e| ControlError::bad_request(format!("the import failed: {e}")))?
        .map_err(|e| ControlError::bad_request(format!("state refused, nothing changed: {e}")))?;
    Ok(Json(
        json!({ "imported": { "apps": imported.apps, "groups": imported.groups } }),
    ))
}

fn too_large() -> ControlError {
    ControlError::bad_request(format!(
        "state refused, nothing changed: the body is larger than {MAX_STATE_BYTES} bytes"
    ))
}

/// The body's chunks, ending with an error once more than [`MAX_STATE_BYTES`] came or none
/// came for `idle` (`--body-timeout-ms`), so a stalled client cannot hold the import forever.
fn body_chunks(
    body: Body,
    idle: Duration,
) -> Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>> {
    let chunks = body.into_data_stream();
    Box::pin(futures_util::stream::unfold(
        Some((chunks, 0usize)),
        move |state| async move {
            let (mut chunks, total) = state?;
            let next = match tokio::time::timeout(idle, chunks.next()).await {
                Err(_) => Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "no part of the body arrived for {} ms (--body-timeout-ms)",
                        idle.as_millis()
                    ),
                )),
                Ok(None) => return None,
                Ok(Some(Err(e))) => Err(io::Error::other(e)),
                Ok(Some(Ok(chunk))) if total + chunk.len() > MAX_STATE_BYTES => Err(
                    io::Error::other(format!("the body is larger than {MAX_STATE_BYTES} bytes")),
                ),
                Ok(Some(Ok(chunk))) => {
                    let total = total + chunk.len();
                    return Some((Ok(chunk), Some((chunks, total))));
                }
            };
            Some((next, None))
        },
    ))
}
