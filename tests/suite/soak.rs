//! Soak: at least 1,000,000 mixed requests over keep-alive loopback connections to the real
//! binary (`--no-limits`), printing its resident memory at intervals and asserting that memory
//! stays bounded once the working set is warm (every group and account the mix creates is
//! destroyed or deleted again, so a growing RSS would be a leak).
//!
//! `cargo test --release --test soak -- --ignored --nocapture` (`SOAK_REQUESTS` overrides the
//! count).

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

const Q: &str = "sdkappid=1400000000&identifier=admin&usersig=soak&random=9&contenttype=json";
const WORKERS: u64 = 16;
/// Requests in one cycle of [`cycle`].
const PER_CYCLE: u64 = 10;

struct Binary {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn start() -> Binary {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let child = Command::new(env!("CARGO_BIN_EXE_tim-emulator"))
        .args(["--listen", &addr.to_string(), "--no-limits"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the emulator binary starts");
    let bin = Binary { child, addr };
    let health = format!("http://{addr}/_emulator/health");
    for _ in 0..500 {
        if reqwest::get(&health).await.is_ok() {
            return bin;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the emulator never became healthy");
}

async fn post(http: &reqwest::Client, addr: SocketAddr, path: &str, body: String) -> Value {
    let resp = http
        .post(format!("http://{addr}/v4/{path}?{Q}"))
        .body(body)
        .send()
        .await
        .expect("answered");
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("a JSON envelope")
}

fn code(v: &Value) -> i64 {
    v["ErrorCode"].as_i64().unwrap_or(-1)
}

/// One cycle of the mix: custom-ID create, read, destroy (IDs shared between workers, so some
/// answers are 10021 or 10010); assigned create and destroy; account import, check, delete; a
/// rejected create; a body that is not JSON.
async fn cycle(http: &reqwest::Client, addr: SocketAddr, w: u64, k: u64) {
    let gid = format!("soak-{}", k % 50);
    let c = post(http, addr, "group_open_http_svc/create_group",
        json!({"Type": "Public", "Name": "soak", "GroupId": gid, "AppDefinedData": [{"Key": "k", "Value": "v"}]}).to_string()).await;
    assert!(matches!(code(&c), 0 | 10021), "{c}");
    let i = post(
        http,
        addr,
        "group_open_http_svc/get_group_info",
        json!({"GroupIdList": [gid]}).to_string(),
    )
    .await;
    assert_eq!(code(&i), 0, "{i}");
    let d = post(
        http,
        addr,
        "group_open_http_svc/destroy_group",
        json!({"GroupId": gid}).to_string(),
    )
    .await;
    assert!(matches!(code(&d), 0 | 10010), "{d}");
    let a = post(
        http,
        addr,
        "group_open_http_svc/create_group",
        json!({"Type": "Private", "Name": "tmp"}).to_string(),
    )
    .await;
    let id = a["GroupId"].as_str().expect("an assigned ID").to_string();
    let d = post(
        http,
        addr,
        "group_open_http_svc/destroy_group",
        json!({"GroupId": id}).to_string(),
    )
    .await;
    assert_eq!(code(&d), 0, "{d}");
    let user = format!("soak{w}-{}", k % 20);
    let r = post(
        http,
        addr,
        "im_open_login_svc/account_import",
        json!({"UserID": user}).to_string(),
    )
    .await;
    assert_eq!(code(&r), 0, "{r}");
    let r = post(
        http,
        addr,
        "im_open_login_svc/account_check",
        json!({"CheckItem": [{"UserID": user}]}).to_string(),
    )
    .await;
    assert_eq!(code(&r), 0, "{r}");
    let r = post(
        http,
        addr,
        "im_open_login_svc/account_delete",
        json!({"DeleteItem": [{"UserID": user}]}).to_string(),
    )
    .await;
    assert_eq!(code(&r), 0, "{r}");
    let r = post(
        http,
        addr,
        "group_open_http_svc/create_group",
        json!({"Type": "Nope", "Name": "x"}).to_string(),
    )
    .await;
    assert_eq!(code(&r), 10004, "{r}");
    let r = post(
        http,
        addr,
        "group_open_http_svc/create_group",
        "{not json".to_string(),
    )
    .await;
    assert_eq!(code(&r), 60003, "{r}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "long: cargo test --release --test soak -- --ignored --nocapture"]
async fn a_million_mixed_requests_keep_memory_bounded() {
    let total: u64 = std::env::var("SOAK_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let bin = start().await;
    let (addr, pid) = (bin.addr, bin.child.id());
    let done = Arc::new(AtomicU64::new(0));
    let cycles = total.div_ceil(PER_CYCLE * WORKERS);
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for k in 0..cycles {
                cycle(&http, addr, w, k).await;
                done.fetch_add(PER_CYCLE, Ordering::Relaxed);
            }
        }));
    }
    let mut samples = Vec::new();
    let all = cycles * PER_CYCLE * WORKERS;
    let mut next_mark = all / 10;
    while !tasks.iter().all(|t| t.is_finished()) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let n = done.load(Ordering::Relaxed);
        if n >= next_mark {
            let rss = rss_kib(pid);
            println!("soak: {n:>9} requests, RSS {:.1} MiB", rss as f64 / 1024.0);
            samples.push(rss);
            next_mark += all / 10;
        }
    }
    for t in tasks {
        t.await
            .expect("a worker finished without a failed assertion");
    }
    let end = rss_kib(pid);
    println!(
        "soak: {all:>9} requests done, RSS {:.1} MiB",
        end as f64 / 1024.0
    );
    let warm = samples.get(1).copied().unwrap_or(end);
    assert!(
        end <= warm + 16 * 1024,
        "RSS grew from {warm} KiB (warm) to {end} KiB: memory is not bounded"
    );
    let http = reqwest::Client::new();
    let journal: Value = http
        .get(format!("http://{addr}/_emulator/requests"))
        .send()
        .await
        .expect("journal answers")
        .json()
        .await
        .expect("journal is JSON");
    let kept = journal["entries"].as_array().map_or(0, Vec::len);
    println!("soak: the journal keeps {kept} entries");
    assert_eq!(kept, 1000, "the journal stays at its default bound of 1000");
}
