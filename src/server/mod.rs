//! The HTTP server: an accept loop over hyper's HTTP/1.1 connections, with the connection
//! timeouts of issue 11 A and a graceful stop, plain ([`serve`]) or behind TLS ([`serve_tls`],
//! issue 14).
//!
//! Each accepted connection is served by hyper's HTTP/1.1 builder in its own task. HTTP/2 is
//! not spoken (neither h2c nor h2 through ALPN): the vendor's SDKs and the HTTP clients of app
//! servers speak HTTP/1.1 to the vendor's REST API, and leaving HTTP/2 out keeps the `h2` crate
//! out of the build (issue 14, item 8). A connection is closed when:
//!
//! - it waits for a request longer than the idle timeout (`--idle-timeout-ms`) without sending
//!   a byte of it, at the accept (after the TLS handshake on the HTTPS port) or after an answer;
//! - a request's head (request line and headers) takes longer than the header timeout
//!   (`--header-timeout-ms`) from its first byte;
//! - its TLS handshake takes longer than the header timeout from the accept (HTTPS port);
//! - a request's body takes longer than the body timeout (the common layer's 60002);
//! - the server stops: [`serve`] stops accepting when `shutdown` completes and asks every
//!   connection to close once its request in flight is answered; the caller bounds that wait
//!   (`--shutdown-grace-ms` in the binary).

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
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

use crate::emulator::Shared;
use crate::tls::TlsAcceptor;
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
    accept_loop(listener, state, None, shutdown).await
}

/// [`serve`] behind TLS: each accepted connection first completes a TLS handshake with
/// `acceptor` (within the header timeout), then is served exactly as on the plain port: the
/// same router, timeouts and graceful stop. The bound address is recorded with
/// [`crate::Emulator::set_listening_https`].
pub async fn serve_tls(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    state: Shared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        state.set_listening_https(addr);
    }
    accept_loop(listener, state, Some(acceptor), shutdown).await
}

async fn accept_loop(
    listener: TcpListener,
    state: Shared,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let budgets = Budgets::new(state.idle_timeout, state.header_timeout);
    let router = crate::build_app(state);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let conn = Conn { peer, router: router.clone(), budgets, watcher: graceful.watcher() };
                    spawn_connection(stream, tls.clone(), conn);
                }
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

/// What serving one accepted connection needs.
struct Conn {
    peer: SocketAddr,
    router: Router,
    budgets: Budgets,
    watcher: Watcher,
}

/// Serves one connection in its own task, after a TLS handshake when `tls` is given.
fn spawn_connection(stream: TcpStream, tls: Option<TlsAcceptor>, conn: Conn) {
    tokio::spawn(async move {
        let Some(acceptor) = tls else {
            return serve_connection(stream, conn).await;
        };
        let peer = conn.peer;
        match tokio::time::timeout(conn.budgets.header, acceptor.accept(stream)).await {
            Ok(Ok(stream)) => serve_connection(stream, conn).await,
            Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
            Err(_) => {
                tracing::debug!(%peer, "connection closed: TLS handshake within the header timeout")
            }
        }
    });
}

/// Serves the requests of one connection until it ends. Requests carry the peer address as
/// [`ConnectInfo`], as axum's `into_make_service_with_connect_info` gave them.
async fn serve_connection<S>(stream: S, conn: Conn)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let Conn {
        peer,
        router,
        budgets,
        watcher,
    } = conn;
    let activity = Arc::new(Activity::default());
    let io = TokioIo::new(Watched::new(stream, activity.clone()));
    let app = TowerToHyperService::new(router);
    let seen = activity.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        seen.request_started();
        app.call(req)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
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
}

/// Completes when a new connection's first request is overdue: no byte within `idle` of the
/// accept, or no complete head within `header` of the first byte. Never completes once a
/// request has started.
///
/// hyper's header timer covers the head once hyper waits for one; this also covers a
/// connection that sends nothing at all, or one byte, whatever hyper's timer does.
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
