//! The servers under test: the emulator's release binary, and the ceiling (a minimal axum
//! handler answering a fixed JSON body), each in its own process so both are measured alike.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::client;

/// The body the ceiling answers: the size of a create_group success.
pub const CEILING_BODY: &str =
    r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"GroupId":"@TGS#2J4SZEAEL"}"#;

/// A server process, killed on drop.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
}

impl Server {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time (user + system) the process has used so far.
    pub fn cpu(&self) -> Duration {
        cpu(self.pid())
    }

    /// The process's resident set size in KiB (`VmRSS`).
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.pid())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `VmRSS` of `pid` in KiB, or 0 when unreadable.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time (user + system) of `pid` from `/proc/PID/stat`, assuming 100 clock ticks per second.
pub fn cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// A loopback port that was free a moment ago (the child binds it right after).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Spawns the emulator binary with `args` on a free loopback port; returns once it is healthy,
/// with the time from spawn to the first healthy answer.
pub async fn emulator(bin: &Path, args: &[&str]) -> (Server, Duration) {
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let started = Instant::now();
    let child = Command::new(bin)
        .arg("--listen")
        .arg(addr.to_string())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {}: {e} (run cargo build --release)",
                bin.display()
            )
        });
    let server = Server { addr, child };
    wait_healthy(addr, "/_emulator/health").await;
    (server, started.elapsed())
}

/// Spawns this program again as the ceiling server.
pub async fn ceiling() -> Server {
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let exe = std::env::current_exe().expect("the load generator knows its own path");
    let child = Command::new(exe)
        .arg("--serve-ceiling")
        .arg(addr.to_string())
        .stdout(Stdio::null())
        .spawn()
        .expect("the ceiling server starts");
    let server = Server { addr, child };
    wait_healthy(addr, "/health").await;
    server
}

async fn wait_healthy(addr: SocketAddr, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(200) = client::get_status(addr, path).await {
            return;
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    panic!("server on {addr} never answered {path}");
}

/// The ceiling server's main: a default multi-thread runtime and one axum route that reads the
/// body and answers [`CEILING_BODY`].
pub fn serve_ceiling(addr: &str) {
    use axum::routing::{get, post};
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    rt.block_on(async {
        let app = axum::Router::new()
            .route("/v4/{service}/{command}", post(fixed))
            .route("/health", get(|| async { "ok" }));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("bind the ceiling port");
        axum::serve(listener, app).await.expect("serve the ceiling");
    });
}

async fn fixed(_body: axum::body::Bytes) -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        CEILING_BODY,
    )
}
