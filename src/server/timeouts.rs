//! The idle and header timeouts of one connection (issue 11 A).
//!
//! hyper 1.12 has one timer for both: its `header_read_timeout` starts when a connection is
//! ready for a request (at the accept, and again after each answer) and ends when the request's
//! head is complete, so it counts the idle wait and the head as one. Servers people know (Go's
//! `IdleTimeout` and `ReadHeaderTimeout`, Node's `keepAliveTimeout` and `headersTimeout`,
//! nginx) count them apart: a connection may sit idle for a while, but once a request starts,
//! its head must arrive quickly. [`HeadTimer`] gives hyper's timer those two budgets: hyper
//! still decides when a head is awaited and when it is complete (so pipelining and buffered
//! bytes are its business), and the timer only moves the deadline from "idle" to "header" once
//! the connection has read a byte since hyper started waiting. [`Watched`] counts those reads.
//!
//! hyper calls the timer of an HTTP/1 server connection for the header read timeout only (see
//! `proto/h1/conn.rs`, `poll_read_head`); the tests in `tests/suite/connections.rs` pin both
//! budgets against the real binary, so a hyper that used it otherwise would show there.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;

/// The longest idle or header timeout: a day keeps every deadline far from `Instant` overflow.
pub const MAX_CONNECTION_TIMEOUT: Duration = Duration::from_secs(86_400);

/// The two budgets of a connection waiting for a request.
#[derive(Debug, Clone, Copy)]
pub struct Budgets {
    /// From the accept, or the end of the previous answer, to the request's first byte.
    pub idle: Duration,
    /// From a request's first byte to the end of its head.
    pub header: Duration,
}

impl Budgets {
    /// Both budgets, each at most [`MAX_CONNECTION_TIMEOUT`].
    pub fn new(idle: Duration, header: Duration) -> Self {
        Self {
            idle: idle.min(MAX_CONNECTION_TIMEOUT),
            header: header.min(MAX_CONNECTION_TIMEOUT),
        }
    }
}

/// What one connection has done so far, shared by its reader, its timer and its task.
#[derive(Debug, Default)]
pub struct Activity {
    /// Reads that brought bytes.
    reads: AtomicU64,
    /// When the first byte arrived.
    first_read: OnceLock<Instant>,
    /// Whether a request has reached the application.
    served: AtomicBool,
    /// Wakes the connection's task at the first byte and at the first request.
    changed: Notify,
}

impl Activity {
    /// Reads that brought bytes so far.
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Acquire)
    }

    /// When the connection's first byte arrived, if it has.
    pub fn first_read(&self) -> Option<Instant> {
        self.first_read.get().copied()
    }

    /// Whether a request has reached the application.
    pub fn served(&self) -> bool {
        self.served.load(Ordering::Acquire)
    }

    /// Records that a request's head is complete and the application has it.
    pub fn request_started(&self) {
        if !self.served.swap(true, Ordering::AcqRel) {
            self.changed.notify_one();
        }
    }

    /// Completes at the next first byte or first request (at once when one happened unseen).
    pub async fn changed(&self) {
        self.changed.notified().await;
    }

    fn bytes_read(&self) {
        self.reads.fetch_add(1, Ordering::AcqRel);
        if self.first_read.set(Instant::now()).is_ok() {
            self.changed.notify_one();
        }
    }
}

/// A stream that records its reads in an [`Activity`].
#[derive(Debug)]
pub struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Watched<S> {
    /// `inner`, recording into `activity`.
    pub fn new(inner: S, activity: Arc<Activity>) -> Self {
        Self { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// hyper's header-read timer for one HTTP/1 connection: it waits `idle` for the first byte of
/// the awaited request, then hyper's own header budget from that byte on.
#[derive(Debug)]
pub struct HeadTimer {
    activity: Arc<Activity>,
    idle: Duration,
    armed_before: AtomicBool,
}

impl HeadTimer {
    /// The timer of the connection whose reads `activity` records.
    pub fn new(activity: Arc<Activity>, idle: Duration) -> Self {
        Self {
            activity,
            idle,
            armed_before: AtomicBool::new(false),
        }
    }
}

impl Timer for HeadTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        hyper_util::rt::TokioTimer::new().sleep(duration)
    }

    /// hyper asks for `now + header_read_timeout`: the header budget is what is left of it.
    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        let header = deadline.saturating_duration_since(Instant::now());
        let first = !self.armed_before.swap(true, Ordering::AcqRel);
        Box::pin(HeadWait::new(&self.activity, self.idle, header, first))
    }
}

/// One wait for a request head: `idle` until a byte comes, then `header` from that byte.
struct HeadWait {
    activity: Arc<Activity>,
    reads_at_start: u64,
    header: Duration,
    started: bool,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl HeadWait {
    /// `first` is the connection's first head: if bytes were read before hyper armed its timer,
    /// that head started at the connection's first byte.
    fn new(activity: &Arc<Activity>, idle: Duration, header: Duration, first: bool) -> Self {
        let began = if first { activity.first_read() } else { None };
        let deadline = match began {
            Some(at) => at + header,
            None => Instant::now() + idle,
        };
        Self {
            activity: activity.clone(),
            reads_at_start: activity.reads(),
            header,
            started: began.is_some(),
            sleep: Box::pin(tokio::time::sleep_until(deadline.into())),
        }
    }
}

impl Future for HeadWait {
    type Output = ();

    /// hyper polls this after every read that left the head incomplete, so the first byte of a
    /// head is seen here as soon as it arrives.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if !self.started && self.activity.reads() != self.reads_at_start {
            self.started = true;
            let deadline = Instant::now() + self.header;
            self.sleep.as_mut().reset(deadline.into());
        }
        self.sleep.as_mut().poll(cx)
    }
}

impl Sleep for HeadWait {}
