//! A small HTTP/1.1 keep-alive load client over raw `TcpStream`s with pre-built request bytes.
//!
//! Two drivers: closed loop (N connections, each sends its next request as soon as the previous
//! answer is in; measures peak throughput) and open loop (a fixed total rate spread over the
//! connections; measures latency below saturation). Raw sockets keep the client's own cost small
//! and identical for every server, so ratios between servers are fair.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One request, fully encoded, and what a correct answer contains.
#[derive(Clone)]
pub struct Request {
    /// The bytes sent for every call.
    pub bytes: Arc<Vec<u8>>,
    /// A substring every correct answer body contains (e.g. `"ErrorCode":0`).
    pub expect: &'static str,
}

/// POST `path_and_query` with a JSON body.
pub fn post(path_and_query: &str, body: &str, expect: &'static str) -> Request {
    let bytes = format!(
        "POST {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    Request {
        bytes: Arc::new(bytes.into_bytes()),
        expect,
    }
}

/// What one run measured.
#[derive(Debug, Default)]
pub struct Stats {
    /// Answers received.
    pub count: u64,
    /// Answers whose status was not 200 or whose body lacked the expected text.
    pub wrong: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Every latency, in nanoseconds, sorted.
    pub latencies: Vec<u64>,
    /// The first wrong answer, to show.
    pub first_wrong: Option<String>,
}

impl Stats {
    /// Answers per second.
    pub fn rps(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `q` quantile (0..=1) in microseconds.
    pub fn quantile_us(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies.len() - 1) as f64 * q).round() as usize;
        self.latencies[i] as f64 / 1000.0
    }

    fn merge(parts: Vec<Conn>, elapsed: Duration) -> Self {
        let mut s = Stats {
            elapsed,
            ..Stats::default()
        };
        for p in parts {
            s.count += p.latencies.len() as u64;
            s.wrong += p.wrong;
            s.latencies.extend(p.latencies);
            if s.first_wrong.is_none() {
                s.first_wrong = p.first_wrong;
            }
        }
        s.latencies.sort_unstable();
        s
    }
}

/// One connection's results.
#[derive(Default)]
struct Conn {
    latencies: Vec<u64>,
    wrong: u64,
    first_wrong: Option<String>,
}

/// A keep-alive connection that reads one framed answer per request.
struct Wire {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Wire {
    async fn connect(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(64 * 1024),
        })
    }

    /// Sends `req` and returns `(status, body)` of the answer.
    async fn call(&mut self, req: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
        self.stream.write_all(req).await?;
        loop {
            if let Some(done) = frame(&self.buf)? {
                let (status, start, end) = done;
                let body = self.buf[start..end].to_vec();
                self.buf.drain(..end);
                return Ok((status, body));
            }
            let mut chunk = [0u8; 16 * 1024];
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// Finds one complete answer in `buf`: `(status, body start, body end)`.
fn frame(buf: &[u8]) -> std::io::Result<Option<(u16, usize, usize)>> {
    let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(std::io::Error::other)?;
    let status = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line: {head}")))?;
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .ok_or_else(|| std::io::Error::other("answer without Content-Length"))?;
    let start = head_end + 4;
    Ok((buf.len() >= start + len).then_some((status, start, start + len)))
}

fn check(conn: &mut Conn, req: &Request, status: u16, body: &[u8]) {
    let ok = status == 200
        && std::str::from_utf8(body)
            .map(|b| b.contains(req.expect))
            .unwrap_or(false);
    if !ok {
        conn.wrong += 1;
        if conn.first_wrong.is_none() {
            conn.first_wrong = Some(format!("{status} {}", String::from_utf8_lossy(body)));
        }
    }
}

/// Closed loop: `conns` connections for `duration`, or until `total` answers when given.
pub async fn closed_loop(
    addr: SocketAddr,
    req: &Request,
    conns: usize,
    duration: Duration,
    total: Option<u64>,
) -> std::io::Result<Stats> {
    let budget = Arc::new(AtomicI64::new(total.map_or(i64::MAX, |t| t as i64)));
    let start = Instant::now();
    let end = start + duration;
    let mut tasks = Vec::with_capacity(conns);
    for _ in 0..conns {
        let (req, budget) = (req.clone(), budget.clone());
        let mut wire = Wire::connect(addr).await?;
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::default();
            while Instant::now() < end && budget.fetch_sub(1, Ordering::Relaxed) > 0 {
                let sent = Instant::now();
                let (status, body) = wire.call(&req.bytes).await?;
                conn.latencies.push(sent.elapsed().as_nanos() as u64);
                check(&mut conn, &req, status, &body);
            }
            Ok::<_, std::io::Error>(conn)
        }));
    }
    collect(tasks, start).await
}

/// Open loop: `rate` requests per second in total over `conns` connections for `duration`.
///
/// Each request has a scheduled send time. Latency counts from the moment it was sent, unless the
/// previous answer on its connection came in after that scheduled time (the server was slow):
/// then it counts from the scheduled time, so a stall is not hidden (coordinated omission).
/// Tokio's timer has 1 ms resolution, so requests due within one millisecond leave together.
pub async fn open_loop(
    addr: SocketAddr,
    req: &Request,
    conns: usize,
    rate: f64,
    duration: Duration,
) -> std::io::Result<Stats> {
    let interval = Duration::from_secs_f64(conns as f64 / rate);
    let start = Instant::now() + Duration::from_millis(20);
    let end = start + duration;
    let mut tasks = Vec::with_capacity(conns);
    for c in 0..conns {
        let req = req.clone();
        let mut wire = Wire::connect(addr).await?;
        let offset = interval.mul_f64(c as f64 / conns as f64);
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::default();
            let mut due = start + offset;
            let mut prev_done = start;
            while due < end {
                tokio::time::sleep_until(due.into()).await;
                let from = if prev_done > due { due } else { Instant::now() };
                let (status, body) = wire.call(&req.bytes).await?;
                prev_done = Instant::now();
                conn.latencies.push((prev_done - from).as_nanos() as u64);
                check(&mut conn, &req, status, &body);
                due += interval;
            }
            Ok::<_, std::io::Error>(conn)
        }));
    }
    collect(tasks, start).await
}

async fn collect(
    tasks: Vec<tokio::task::JoinHandle<std::io::Result<Conn>>>,
    start: Instant,
) -> std::io::Result<Stats> {
    let mut parts = Vec::with_capacity(tasks.len());
    for t in tasks {
        parts.push(t.await.map_err(std::io::Error::other)??);
    }
    Ok(Stats::merge(parts, start.elapsed()))
}

/// One GET on a fresh connection: `Ok(status)` or a connection error.
pub async fn get_status(addr: SocketAddr, path: &str) -> std::io::Result<u16> {
    let mut wire = Wire::connect(addr).await?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    Ok(wire.call(req.as_bytes()).await?.0)
}

/// One call on a fresh connection, returning the body as text (for setup steps).
pub async fn call_once(addr: SocketAddr, req: &Request) -> std::io::Result<String> {
    let mut wire = Wire::connect(addr).await?;
    let (_, body) = wire.call(&req.bytes).await?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}
