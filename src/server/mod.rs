//! The HTTP server: an accept loop over hyper-util's connection builder, with the connection
//! timeouts of issue 11 A and a graceful stop.
//!
//! Each accepted connection is served by hyper-util's `auto` builder (HTTP/1.1, and HTTP/2 with
//! prior knowledge, as `axum::serve` did before), in its own task. A connection is closed when:
//!
//! - it waits for a request longer than the idle timeout (`--idle-timeout-ms`) without sending
//!   a byte of it, at the accept or after an answer;
//! - a request's head (request line and headers) takes longer than the header timeout
//!   (`--header-timeout-ms`) from its first byte;
//! - a request's body takes longer than the body timeout (the common layer's 60002);
//! - the server stops: [`serve`] stops accepting when `shutdown` completes and asks every
//!   connection to close once its request in flight is answered; the caller bounds that wait
//!   (`--shutdown-grace-ms` in the binary).
//!
//! HTTP/2 connections get the idle and header timeouts until their first request only (hyper
//! has none for HTTP/2 streams); they end with the stop.

pub mod timeouts;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::service::Service as _;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};

use crate::emulator::Shared;
use timeouts::{Activity, Budgets, HeadTimer, Watched};

/// How long the accept loop pauses after an error such as `EMFILE` (too many open files), as
/// hyper 0.14 and axum do: the connections being served will close some files meanwhile.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Serves `state` on `listener` until `shutdown` completes, then stops accepting and waits for
/// the open connections to close (each after its request in flight, if any).
///
/// The connection timeouts are the state's `idle_timeout` and `header_timeout` (each capped at
/// [`timeouts::MAX_CONNECTION_TIMEOUT`]). Accept errors (such as `EMFILE`) are logged and
/// retried after a pause, so this never fails today; the `io::Result` is the signature
/// `axum::serve` had.
pub async fn serve(
    listener: TcpListener,
    state: Shared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        state.set_listening(addr);
    }
    let budgets = Budgets::new(state.idle_timeout, state.header_timeout);
    let router = crate::build_app(state);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => spawn_connection(stream, peer, &router, budgets, graceful.watcher()),
                Err(e) if is_connection_error(&e) => {}
                Err(e) => {
                    tracing::error!(error = %e, "accept failed; retrying in a second");
                    tokio::select! {
                        () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
                        () = shutdown.as_mut() => break,
                    }
                }
            },
            () = shutdown.as_mut() => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Errors of one connection that has gone already, not of the listener.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Serves one connection in its own task. Requests carry the peer address as
/// [`ConnectInfo`], as axum's `into_make_service_with_connect_info` gave them.
fn spawn_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: &Router,
    budgets: Budgets,
    watcher: Watcher,
) {
    let activity = Arc::new(Activity::default());
    let io = TokioIo::new(Watched::new(stream, activity.clone()));
    let app = TowerToHyperService::new(router.clone());
    let seen = activity.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        seen.request_started();
        app.call(req)
    });
    tokio::spawn(async move {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(HeadTimer::new(activity.clone(), budgets.idle))
            .header_read_timeout(budgets.header);
        let conn = watcher.watch(builder.serve_connection(io, service));
        tokio::select! {
            served = conn => {
                if let Err(e) = served {
                    tracing::debug!(%peer, error = %e, "connection ended");
                }
            }
            () = first_request_overdue(&activity, budgets) => {
                tracing::debug!(%peer, "connection closed: no request within the idle or header timeout");
            }
        }
    });
}

/// Completes when a new connection's first request is overdue: no byte within `idle` of the
/// accept, or no complete head within `header` of the first byte. Never completes once a
/// request has started.
///
/// hyper's header timer covers HTTP/1 once hyper-util has told HTTP/1 from HTTP/2; this covers
/// the moments before (a connection that sends nothing, or one byte) and HTTP/2's first request.
async fn first_request_overdue(activity: &Activity, budgets: Budgets) {
    let accepted = Instant::now();
    loop {
        if activity.served() {
            return std::future::pending().await;
        }
        let deadline = match activity.first_read() {
            None => accepted + budgets.idle,
            Some(at) => at + budgets.header,
        };
        if Instant::now() >= deadline {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep_until(deadline.into()) => {}
            () = activity.changed() => {}
        }
    }
}
