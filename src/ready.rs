//! Start-up announcements (issue 14 items 1 and 3): the start line that lists the effective
//! settings, and the machine-readable "ready" record a test harness reads to learn the port
//! when the emulator was started with `--listen 127.0.0.1:0`.
//!
//! The record is a JSON object that can grow (an `https` URL is added by whoever serves it):
//! `{"http":"http://127.0.0.1:PORT","control":"http://127.0.0.1:PORT/_emulator","listen":"127.0.0.1:PORT","pid":1234}`.
//! It is written to `--ready-file` atomically (a temporary file in the same directory, renamed
//! into place) and printed on stdout as one line `TIM_EMULATOR_READY {…}`, whatever the log
//! level (logs go to stderr).

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::config::Config;
use crate::emulator::Shared;

/// The prefix of the stdout line that carries the ready record.
pub const STDOUT_PREFIX: &str = "TIM_EMULATOR_READY ";

/// The ready record: named URLs and facts (written with its keys sorted).
#[derive(Debug, Clone, PartialEq)]
pub struct Ready(Map<String, Value>);

impl Ready {
    /// The record of an emulator serving plain HTTP on `bound`: `http` and `control` URLs,
    /// `listen` (the bound socket address) and this process's `pid`. An unspecified address
    /// (`0.0.0.0`, `[::]`) is written as loopback in the URLs, which is where a harness on the
    /// same machine reaches it; `listen` keeps the address as bound.
    pub fn new(bound: SocketAddr) -> Self {
        let base = base_url("http", bound);
        let mut map = Map::new();
        map.insert("http".into(), json!(base));
        map.insert("control".into(), json!(format!("{base}/_emulator")));
        map.insert("listen".into(), json!(bound.to_string()));
        map.insert("pid".into(), json!(std::process::id()));
        Self(map)
    }

    /// Adds (or replaces) one entry, e.g. `("https", "https://127.0.0.1:8443")`.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.into(), value.into());
        self
    }

    /// The record as one line of JSON.
    pub fn to_json(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }

    /// Writes the record to `path` atomically: readers see no file or the whole record, never
    /// a part of it. An error names the path.
    pub fn write_file(&self, path: &Path) -> Result<(), String> {
        let tmp = temp_path(path);
        let written = std::fs::File::create(&tmp).and_then(|mut f| {
            f.write_all(self.to_json().as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()
        });
        let renamed = written.and_then(|()| std::fs::rename(&tmp, path));
        renamed.map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("cannot write the ready file {}: {e}", path.display())
        })
    }

    /// Prints `TIM_EMULATOR_READY {…}` on stdout and flushes it (stdout is a pipe in a harness,
    /// where a line would otherwise wait in a buffer).
    pub fn print_line(&self) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{STDOUT_PREFIX}{}", self.to_json());
        let _ = out.flush();
    }
}

/// `scheme://host:port` for `bound`, loopback for an unspecified address.
pub fn base_url(scheme: &str, bound: SocketAddr) -> String {
    let ip = match bound.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("{scheme}://{}", SocketAddr::new(ip, bound.port()))
}

fn temp_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

/// Logs the start line at `info`: the listen URLs, the rules profile and edition, the apps
/// (zero-config or the configured sdkappids), whether limits are on, the callback targets,
/// the state and seed files, and the id seed in use with the flag that replays it.
pub fn log_start(config: &Config, emu: &Shared, ready: &Ready) {
    let apps = emu.apps.configured_ids();
    let mode = if apps.is_empty() {
        "zero-config (any sdkappid, usersig not verified)"
    } else {
        "configured apps"
    };
    let seed = emu.store.id_seed();
    tracing::info!(
        urls = %ready.to_json(),
        rules_profile = emu.rules.name,
        edition = %config.edition,
        mode,
        ?apps,
        limits = %if config.no_limits { "off (--no-limits)" } else { "on" },
        callbacks = %callback_targets(emu).join(" "),
        state_file = config.state_file.as_ref().map(|p| p.display().to_string()),
        seed_file = config.seed_file.as_ref().map(|p| p.display().to_string()),
        journal_size = config.journal_size,
        admin_token = emu.admin_token.is_some(),
        id_seed = seed,
        replay = %format!("--id-seed {seed}"),
        "tim-emulator ready"
    );
}

/// `sdkappid=url` for each configured app with a callback, `zero-config=url` for the flags',
/// or `none`.
fn callback_targets(emu: &Shared) -> Vec<String> {
    let mut out = Vec::new();
    if emu.apps.is_configured() {
        for id in emu.apps.configured_ids() {
            if let Some(cb) = emu.apps.policy(id).ok().and_then(|p| p.callback.as_ref()) {
                out.push(format!("{id}={}", cb.url));
            }
        }
    } else if let Some(cb) = emu.apps.policy(1).ok().and_then(|p| p.callback.as_ref()) {
        out.push(format!("zero-config={}", cb.url));
    }
    if out.is_empty() {
        out.push("none".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_names_loopback_urls_for_an_unspecified_address() {
        let r = Ready::new("0.0.0.0:8269".parse().expect("addr"));
        let v: Value = serde_json::from_str(&r.to_json()).expect("json");
        assert_eq!(v["http"], "http://127.0.0.1:8269");
        assert_eq!(v["control"], "http://127.0.0.1:8269/_emulator");
        assert_eq!(v["listen"], "0.0.0.0:8269");
        assert_eq!(v["pid"], std::process::id());
        let r = Ready::new("[::]:1".parse().expect("addr")).with("https", "https://[::1]:2");
        let v: Value = serde_json::from_str(&r.to_json()).expect("json");
        assert_eq!(
            (v["http"].as_str(), v["https"].as_str()),
            (Some("http://[::1]:1"), Some("https://[::1]:2"))
        );
    }

    #[test]
    fn the_file_is_written_whole_and_no_temporary_file_is_left() {
        let dir = std::env::temp_dir().join(format!("tim-ready-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("ready.json");
        let r = Ready::new("127.0.0.1:5".parse().expect("addr"));
        r.write_file(&path).expect("written");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.trim(), r.to_json());
        let names: Vec<_> = std::fs::read_dir(&dir).expect("ls").flatten().collect();
        assert_eq!(names.len(), 1);
        let e = r
            .write_file(&dir.join("missing/ready.json"))
            .expect_err("no such dir");
        assert!(e.contains("missing/ready.json"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
