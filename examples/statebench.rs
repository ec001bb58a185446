//! The state-file measurement of issue 11 C: how long the release binary takes to save a large
//! state at SIGTERM, how big the file is, and the peak memory of importing a large document.
//!
//! ```text
//! cargo build --release && cargo run --release --example statebench
//! cargo run --release --example statebench -- --groups 600000 --members 10 --accounts 100000
//! ```
//!
//! It writes a compact document with `--groups` Public groups of `--members` members each (the
//! first one the owner), drawn from `--accounts` imported accounts, with only the fields a
//! client must give (about 380 bytes a group: 600k groups make about 217 MiB). Then, against
//! the release binary on a free loopback port with `--state-file`:
//!
//! 1. `PUT /_emulator/state` of that document: time, and the process's peak resident memory
//!    (`VmHWM`) against the document's size;
//! 2. SIGTERM: the save's time and size as the emulator logs them, and the time to exit;
//! 3. a restart that loads the saved file: time until healthy, and the peak memory again.
//!
//! Numbers are printed, nothing is asserted. `--dir DIR --keep true` keeps the document, the
//! saved file and the log.

use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Args {
    bin: PathBuf,
    groups: u64,
    members: u64,
    accounts: u64,
    dir: PathBuf,
    keep: bool,
}

fn parse_args() -> Args {
    let mut a = Args {
        bin: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/tim-emulator"),
        groups: 600_000,
        members: 10,
        accounts: 100_000,
        dir: std::env::temp_dir().join(format!("tim-statebench-{}", std::process::id())),
        keep: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().unwrap_or_default();
        match flag.as_str() {
            "--bin" => a.bin = v.into(),
            "--groups" => a.groups = v.parse().expect("a count"),
            "--members" => a.members = v.parse().expect("a count"),
            "--accounts" => a.accounts = v.parse().expect("a count"),
            "--dir" => a.dir = v.into(),
            "--keep" => a.keep = v == "true",
            _ => panic!("unknown flag {flag}; see the doc comment of examples/statebench.rs"),
        }
    }
    assert!(
        a.members <= a.accounts,
        "members of a group must be distinct"
    );
    a
}

/// Writes the document; returns its size in bytes.
fn write_document(a: &Args, path: &Path) -> u64 {
    let mut w = BufWriter::new(std::fs::File::create(path).expect("document file"));
    let user = |n: u64| format!("u{:06}", n % a.accounts);
    write!(
        w,
        r#"{{"version":1,"apps":[{{"sdkappid":1400000000,"accounts":["#
    )
    .expect("write");
    for n in 0..a.accounts {
        let sep = if n == 0 { "" } else { "," };
        write!(w, r#"{sep}{{"UserID":"{}"}}"#, user(n)).expect("write");
    }
    w.write_all(br#"],"groups":["#).expect("write");
    for g in 0..a.groups {
        let sep = if g == 0 { "" } else { "," };
        let owner = user(g * a.members);
        write!(w, r#"{sep}{{"GroupId":"g{g:07}","Type":"Public","Name":"group {g}","Owner_Account":"{owner}","MemberList":[{{"Member_Account":"{owner}","Role":"Owner"}}"#).expect("write");
        for k in 1..a.members {
            write!(w, r#",{{"Member_Account":"{}"}}"#, user(g * a.members + k)).expect("write");
        }
        w.write_all(b"]}").expect("write");
    }
    w.write_all(b"]}]}\n").expect("write");
    w.flush().expect("flush");
    std::fs::metadata(path).expect("written").len()
}

/// A field of `/proc/PID/status` in KiB (`VmHWM`, `VmRSS`), or 0 when unreadable.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| {
            v.trim_start_matches(':')
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("address").port()
}

/// Starts the emulator with `--state-file state`, logging JSON to `log`; returns it once
/// healthy, with the time that took.
async fn start(a: &Args, state: &Path, log: &Path) -> (Child, SocketAddr, Duration) {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port())
        .parse()
        .expect("address");
    let started = Instant::now();
    let mut child = Command::new(&a.bin)
        .args(["--listen", &addr.to_string(), "--log-format", "json"])
        .arg("--state-file")
        .arg(state)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}; build it with cargo build --release",
                a.bin.display()
            )
        });
    let url = format!("http://{addr}/_emulator/health");
    while started.elapsed() < Duration::from_secs(600) {
        if reqwest::get(&url)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return (child, addr, started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the emulator never became healthy; see {}", log.display());
}

/// The state letter and the CPU time (user + system) of `pid` from `/proc/PID/stat`, assuming
/// 100 clock ticks per second; `None` once the process is gone.
fn proc_stat(pid: u32) -> Option<(char, Duration)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let state = rest.first()?.chars().next()?;
    let ticks: u64 = rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?;
    Some((state, Duration::from_millis(ticks * 10)))
}

/// Sends SIGTERM and waits for the exit; returns the wall time it took and the CPU time the
/// process used meanwhile (read from its zombie before it is reaped), so the figure can be
/// told apart from the load of a shared machine.
fn terminate(child: &mut Child) -> (Duration, Duration) {
    let pid = child.id();
    let before = proc_stat(pid).map_or(Duration::ZERO, |(_, cpu)| cpu);
    let started = Instant::now();
    let sent = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let mut cpu = before;
    while let Some((state, used)) = proc_stat(pid) {
        cpu = used;
        if state == 'Z' {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let took = started.elapsed();
    let status = child.wait().expect("exits");
    assert!(status.success(), "the emulator exited with {status}");
    (took, cpu.saturating_sub(before))
}

/// The log's JSON lines.
fn log_lines(log: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(log).expect("log");
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The `bytes` and `ms` of the "state saved" log line.
fn saved_line(lines: &[serde_json::Value]) -> (u64, u64) {
    lines
        .iter()
        .find(|v| v["fields"]["message"] == "state saved")
        .map(|v| {
            let f = &v["fields"];
            (
                f["bytes"].as_u64().unwrap_or(0),
                f["ms"].as_u64().unwrap_or(0),
            )
        })
        .expect("a \"state saved\" log line")
}

/// The log lines' messages with their times, for seeing where a stop spends its time.
fn timeline(lines: &[serde_json::Value]) -> String {
    lines
        .iter()
        .map(|v| {
            let at = v["timestamp"].as_str().unwrap_or("?");
            let at = at.get(11..23).unwrap_or(at);
            format!("  {at} {}", v["fields"]["message"].as_str().unwrap_or("?"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `/proc/loadavg`'s first three fields: the machine is shared, and timings follow its load.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

#[tokio::main]
async fn main() {
    let a = parse_args();
    std::fs::create_dir_all(&a.dir).expect("work directory");
    let (doc, state, log) = (
        a.dir.join("doc.json"),
        a.dir.join("state.json"),
        a.dir.join("emu.log"),
    );
    let t = Instant::now();
    let doc_bytes = write_document(&a, &doc);
    println!(
        "document: {} groups x {} members, {} accounts: {:.1} MiB (written in {:.1} s)",
        a.groups,
        a.members,
        a.accounts,
        mib(doc_bytes),
        t.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_file(&state);
    println!("load average at start: {}", load_average());

    let (mut emu, addr, _) = start(&a, &state, &log).await;
    let idle_kib = status_kib(emu.id(), "VmRSS");
    let body = std::fs::read(&doc).expect("document");
    let t = Instant::now();
    let resp = reqwest::Client::new()
        .put(format!("http://{addr}/_emulator/state"))
        .body(body)
        .send()
        .await
        .expect("PUT answered");
    let put_took = t.elapsed();
    let status = resp.status();
    let answer = resp.text().await.unwrap_or_default();
    assert!(status.is_success(), "import refused: {status} {answer}");
    let peak = status_kib(emu.id(), "VmHWM") * 1024;
    let after = status_kib(emu.id(), "VmRSS") * 1024;
    println!(
        "PUT /_emulator/state: {:.2} s; peak RSS {:.0} MiB = {:.2}x the document (idle {:.0} MiB; {:.0} MiB after)",
        put_took.as_secs_f64(),
        mib(peak),
        peak as f64 / doc_bytes as f64,
        mib(idle_kib * 1024),
        mib(after)
    );

    let (exit_took, exit_cpu) = terminate(&mut emu);
    let lines = log_lines(&log);
    let (bytes, ms) = saved_line(&lines);
    println!(
        "save at SIGTERM: {:.2} s, {:.1} MiB file ({:.2}x the document); SIGTERM to exit {:.2} s, \
         of which {:.2} s of CPU",
        ms as f64 / 1000.0,
        mib(bytes),
        bytes as f64 / doc_bytes as f64,
        exit_took.as_secs_f64(),
        exit_cpu.as_secs_f64()
    );
    println!("{}", timeline(&lines));

    let (mut again, _, load_took) = start(&a, &state, &log).await;
    let peak = status_kib(again.id(), "VmHWM") * 1024;
    println!(
        "start with the saved file: healthy after {:.2} s; peak RSS {:.0} MiB = {:.2}x the saved file",
        load_took.as_secs_f64(),
        mib(peak),
        peak as f64 / bytes as f64
    );
    let _ = again.kill();
    let _ = again.wait();
    println!("load average at the end: {}", load_average());
    if !a.keep {
        let _ = std::fs::remove_dir_all(&a.dir);
    }
}
