//! The load benchmark: the emulator's release binary against the framework's ceiling.
//!
//! ```text
//! cargo build --release && cargo run --release --example loadgen
//! cargo run --release --example loadgen -- --duration 5 --connections 32 --groups 1000000
//! cargo run --release --example loadgen -- --peer wiremock=127.0.0.1:8080
//! cargo run --release --example loadgen -- --phases throughput,grouplife
//! ```
//!
//! Every phase starts a fresh emulator (`--no-limits`) on a free loopback port, so phases do not
//! feed each other's maps. The ceiling is this program re-run as a one-route axum server that
//! reads the body and answers a fixed JSON envelope: what the same framework does with no work.
//! It is measured before and after the emulator phases and the mean is the reference. A `--peer`
//! (any server on a loopback address) gets the same create_group request, for comparison.

mod client;
mod grouplife;
mod messages;
mod servers;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use client::{Request, Stats};

const Q: &str = "sdkappid=1400000000&identifier=admin&usersig=bench&random=1&contenttype=json";

struct Args {
    bin: PathBuf,
    duration: Duration,
    connections: usize,
    groups: u64,
    peers: Vec<(String, SocketAddr)>,
    emu_args: Vec<String>,
    phases: String,
}

fn parse_args() -> Option<Args> {
    let mut a = Args {
        bin: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/tim-emulator"),
        duration: Duration::from_secs(5),
        connections: 32,
        groups: 1_000_000,
        peers: Vec::new(),
        emu_args: Vec::new(),
        phases: "throughput,open,grouplife,messages,startup,memory".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().unwrap_or_default();
        match flag.as_str() {
            "--serve-ceiling" => {
                servers::serve_ceiling(&v);
                return None;
            }
            "--bin" => a.bin = v.into(),
            "--duration" => a.duration = Duration::from_secs_f64(v.parse().expect("seconds")),
            "--connections" => a.connections = v.parse().expect("a count"),
            "--groups" => a.groups = v.parse().expect("a count"),
            "--emu-arg" => a.emu_args.push(v),
            "--phases" => a.phases = v,
            "--peer" => {
                let (name, addr) = v.split_once('=').expect("--peer NAME=HOST:PORT");
                a.peers
                    .push((name.to_string(), addr.parse().expect("a socket address")));
            }
            _ => panic!("unknown flag {flag}; see the doc comment of examples/loadgen/main.rs"),
        }
    }
    Some(a)
}

fn create(body: &str, expect: &'static str) -> Request {
    client::post(
        &format!("/v4/group_open_http_svc/create_group?{Q}"),
        body,
        expect,
    )
}

fn members(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:06}")).collect()
}

fn big_group_body() -> String {
    let list: Vec<serde_json::Value> = members("user_", 21)
        .into_iter()
        .skip(1)
        .enumerate()
        .map(|(i, m)| {
            let mut v = serde_json::json!({"Member_Account": m,
                "AppMemberDefinedData": [{"Key": "Level", "Value": format!("lv{i}")}]});
            if i < 2 {
                v["Role"] = "Admin".into();
            }
            v
        })
        .collect();
    serde_json::json!({
        "Owner_Account": "user_000000", "Type": "Public", "Name": "bench group with members",
        "Introduction": "a group the load benchmark creates", "MemberList": list,
        "AppDefinedData": [{"Key": "Topic", "Value": "load testing"}, {"Key": "Region", "Value": "ap-guangzhou"}]
    })
    .to_string()
}

fn import_body(n: usize) -> String {
    serde_json::json!({ "Accounts": members("user_", n) }).to_string()
}

/// One measured row of the results table.
struct Row {
    name: String,
    stats: Stats,
    /// The server's CPU time per answer in microseconds (NaN when not measured).
    cpu_us: f64,
}

fn print_table(rows: &[Row], ceiling_rps: f64) {
    println!(
        "\n{:<44} {:>10} {:>9} {:>9} {:>9} {:>7} {:>10} {:>6}",
        "phase", "req/s", "p50 µs", "p99 µs", "max µs", "×ceil", "cpu µs/req", "wrong"
    );
    for r in rows {
        let s = &r.stats;
        println!(
            "{:<44} {:>10.0} {:>9.0} {:>9.0} {:>9.0} {:>7.2} {:>10.1} {:>6}",
            r.name,
            s.rps(),
            s.quantile_us(0.5),
            s.quantile_us(0.99),
            s.quantile_us(1.0),
            s.rps() / ceiling_rps,
            r.cpu_us,
            s.wrong
        );
        if let Some(w) = &s.first_wrong {
            println!("    first wrong answer: {w}");
        }
    }
}

async fn emulator_phase(a: &Args, name: &str, setup: &[Request], req: &Request) -> Row {
    let mut args: Vec<&str> = vec!["--no-limits", "--id-seed", "1"];
    args.extend(a.emu_args.iter().map(String::as_str));
    let (emu, _) = servers::emulator(&a.bin, &args).await;
    for s in setup {
        let answer = client::call_once(emu.addr, s).await.expect("setup call");
        assert!(answer.contains(s.expect), "setup failed: {answer}");
    }
    let run = client::closed_loop(emu.addr, req, a.connections, a.duration, None);
    let r = timed(&emu, name, run).await;
    eprintln!("  done: {name}");
    r
}

/// Runs `run` against `server` and also measures the server's CPU time per answer.
async fn timed(
    server: &servers::Server,
    name: &str,
    run: impl std::future::Future<Output = std::io::Result<Stats>>,
) -> Row {
    let before = server.cpu();
    let stats = run.await.expect("load run");
    let cpu = server.cpu().saturating_sub(before);
    let cpu_us = cpu.as_secs_f64() * 1e6 / stats.count.max(1) as f64;
    Row {
        name: name.to_string(),
        stats,
        cpu_us,
    }
}

async fn group_info_request(a: &Args) -> (Vec<Request>, Request) {
    // The assigned ID is reproducible: the same seed and the first creation of the app.
    let (emu, _) = servers::emulator(&a.bin, &["--no-limits", "--id-seed", "1"]).await;
    let import = client::post(
        &format!("/v4/im_open_login_svc/multiaccount_import?{Q}"),
        &import_body(21),
        "\"ErrorCode\":0",
    );
    let make = create(&big_group_body(), "\"ErrorCode\":0");
    client::call_once(emu.addr, &import).await.expect("import");
    let answer = client::call_once(emu.addr, &make).await.expect("create");
    let v: serde_json::Value = serde_json::from_str(&answer).expect("JSON");
    let id = v["GroupId"].as_str().expect("a GroupId").to_string();
    let body = serde_json::json!({ "GroupIdList": [id] }).to_string();
    let read = client::post(
        &format!("/v4/group_open_http_svc/get_group_info?{Q}"),
        &body,
        "\"MemberNum\":21",
    );
    (vec![import, make], read)
}

async fn throughput(a: &Args) -> (Vec<Row>, f64, f64) {
    let ceiling = servers::ceiling().await;
    let plain = create(
        r#"{"Owner_Account":"admin","Type":"Public","Name":"bench group"}"#,
        "\"ErrorCode\":0",
    );
    let run = client::closed_loop(ceiling.addr, &plain, a.connections, a.duration, None);
    let c1 = timed(&ceiling, "ceiling: axum fixed JSON (before)", run).await;
    drop(ceiling);
    let mut rows = Vec::new();
    rows.push(emulator_phase(a, "create_group (assigned ID)", &[], &plain).await);
    let import = client::post(
        &format!("/v4/im_open_login_svc/multiaccount_import?{Q}"),
        &import_body(21),
        "\"ErrorCode\":0",
    );
    let big = create(&big_group_body(), "\"ErrorCode\":0");
    rows.push(
        emulator_phase(
            a,
            "create_group (20 members + custom data)",
            &[import],
            &big,
        )
        .await,
    );
    let (setup, read) = group_info_request(a).await;
    rows.push(emulator_phase(a, "get_group_info (1 group, 21 members)", &setup, &read).await);
    let rejected = create(
        r#"{"Owner_Account":"admin","Type":"Public","Name":"a name that is far longer than thirty bytes"}"#,
        "\"ErrorCode\":10004",
    );
    rows.push(emulator_phase(a, "create_group rejected (10004)", &[], &rejected).await);
    for (name, addr) in &a.peers {
        let stats = client::closed_loop(*addr, &plain, a.connections, a.duration, None)
            .await
            .expect("peer run");
        rows.push(row(
            &format!("peer {name}: same create_group request"),
            stats,
        ));
    }
    let ceiling = servers::ceiling().await;
    let run = client::closed_loop(ceiling.addr, &plain, a.connections, a.duration, None);
    let c2 = timed(&ceiling, "ceiling: axum fixed JSON (after)", run).await;
    let ceiling_rps = (c1.stats.rps() + c2.stats.rps()) / 2.0;
    let peak = rows[0].stats.rps();
    rows.insert(0, c1);
    rows.push(c2);
    (rows, ceiling_rps, peak)
}

/// Drives only the `--peer` servers (e.g. an emulator started by hand under a profiler).
async fn peers_only(a: &Args) {
    let plain = create(
        r#"{"Owner_Account":"admin","Type":"Public","Name":"bench group"}"#,
        "\"ErrorCode\":0",
    );
    let mut rows = Vec::new();
    for (name, addr) in &a.peers {
        let stats = client::closed_loop(*addr, &plain, a.connections, a.duration, None)
            .await
            .expect("peer run");
        rows.push(row(&format!("peer {name}"), stats));
    }
    print_table(&rows, f64::NAN);
}

fn row(name: &str, stats: Stats) -> Row {
    Row {
        name: name.to_string(),
        stats,
        cpu_us: f64::NAN,
    }
}

async fn half_peak(a: &Args, peak: f64, ceiling_peak: f64) -> Vec<Row> {
    let plain = create(
        r#"{"Owner_Account":"admin","Type":"Public","Name":"bench group"}"#,
        "\"ErrorCode\":0",
    );
    let (emu, _) = servers::emulator(&a.bin, &["--no-limits"]).await;
    let conns = a.connections.max(64);
    let name = format!("create_group open loop at {:.0}/s", peak / 2.0);
    let run = client::open_loop(emu.addr, &plain, conns, peak / 2.0, a.duration);
    let e = timed(&emu, &name, run).await;
    drop(emu);
    let ceiling = servers::ceiling().await;
    let name = format!("ceiling open loop at {:.0}/s", ceiling_peak / 2.0);
    let run = client::open_loop(ceiling.addr, &plain, conns, ceiling_peak / 2.0, a.duration);
    vec![e, timed(&ceiling, &name, run).await]
}

async fn startup(a: &Args) {
    let mut times = Vec::new();
    let mut idle_rss = 0;
    for _ in 0..10 {
        let (emu, t) = servers::emulator(&a.bin, &[]).await;
        times.push(t);
        tokio::time::sleep(Duration::from_millis(300)).await;
        idle_rss = idle_rss.max(emu.rss_kib());
    }
    times.sort();
    println!(
        "\nstart to healthy (release binary, 10 runs): median {:.1} ms, max {:.1} ms",
        times[5].as_secs_f64() * 1e3,
        times[9].as_secs_f64() * 1e3
    );
    println!(
        "idle RSS after health (largest of 10): {:.1} MiB ({idle_rss} KiB)",
        idle_rss as f64 / 1024.0
    );
}

async fn memory(a: &Args) {
    let (emu, _) = servers::emulator(
        &a.bin,
        &["--no-limits", "--auto-import-accounts", "--id-seed", "1"],
    )
    .await;
    let list: Vec<serde_json::Value> = members("member_", 9)
        .into_iter()
        .map(|m| serde_json::json!({ "Member_Account": m }))
        .collect();
    let body = serde_json::json!({
        "Owner_Account": "owner_000001", "Type": "Public", "Name": "memory group",
        "MemberList": list,
        "AppDefinedData": [{"Key": "Topic", "Value": "load testing"}, {"Key": "Region", "Value": "ap-guangzhou"}]
    })
    .to_string();
    let req = create(&body, "\"ErrorCode\":0");
    let half = a.groups / 2;
    let r0 = emu.rss_kib();
    let mut marks = vec![(0u64, r0)];
    for _ in 0..2 {
        let s = client::closed_loop(
            emu.addr,
            &req,
            a.connections,
            Duration::from_secs(3600),
            Some(half),
        )
        .await
        .expect("memory run");
        assert_eq!(s.wrong, 0, "creations failed: {:?}", s.first_wrong);
        let done = marks.last().map_or(0, |m| m.0) + s.count;
        marks.push((done, emu.rss_kib()));
    }
    println!("\nmemory, groups of 10 members (owner + 9) and 2 custom fields:");
    for (n, rss) in &marks {
        println!("  {n:>9} groups: RSS {:.1} MiB", *rss as f64 / 1024.0);
    }
    for w in marks.windows(2) {
        let bytes = w[1].1.saturating_sub(w[0].1) as f64 * 1024.0 / (w[1].0 - w[0].0) as f64;
        println!(
            "  groups {}..{}: {bytes:.0} bytes per group",
            w[0].0, w[1].0
        );
    }
    let (n, rss) = marks[marks.len() - 1];
    let per = rss.saturating_sub(r0) as f64 * 1024.0 / n as f64;
    println!(
        "  overall: {per:.0} bytes per group ({:.2} KiB)",
        per / 1024.0
    );
}

fn main() {
    let Some(a) = parse_args() else { return };
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    rt.block_on(run(a));
}

async fn run(a: Args) {
    println!(
        "tim-emulator load benchmark: {} cores, {} connections, {:?} per phase, binary {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        a.connections,
        a.duration,
        a.bin.display()
    );
    let on = |p: &str| a.phases.split(',').any(|x| x == p);
    if on("peers") {
        peers_only(&a).await;
    }
    if on("throughput") {
        let (rows, ceiling_rps, peak) = throughput(&a).await;
        print_table(&rows, ceiling_rps);
        println!("ceiling reference (mean of before and after): {ceiling_rps:.0} req/s");
        if on("open") {
            let ceiling_peak = rows[0].stats.rps().max(rows[rows.len() - 1].stats.rps());
            let open = half_peak(&a, peak, ceiling_peak).await;
            print_table(&open, ceiling_rps);
        }
        if on("grouplife") {
            let rows = grouplife::rows(&a).await;
            print_table(&rows, ceiling_rps);
        }
        if on("messages") {
            let rows = messages::rows(&a).await;
            print_table(&rows, ceiling_rps);
        }
    }
    if on("startup") {
        startup(&a).await;
    }
    if on("memory") && a.groups > 0 {
        memory(&a).await;
    }
}
