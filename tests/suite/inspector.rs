//! The web inspector (`/_emulator/ui`, issue 14) in a real headless Chromium, driven over the
//! DevTools protocol on a websocket: the page loads without console errors or exceptions, shows
//! a group created through the vendor API, and shows user data as text (never as HTML).
//!
//! Chromium comes from Debian's `chromium` package (`.ci/run` installs it). Without it these
//! tests fail, saying so, unless `TIM_SKIP_BROWSER=1` is set; `TIM_CHROMIUM` names another
//! binary.

use std::process::Stdio;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tim_emulator::Settings;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::common::{Emu, code};

/// How long the page may take to show what a test waits for (generous: 2 cores are shared).
const PATIENCE: Duration = Duration::from_secs(45);

/// The Chromium binary, or `None` when the browser tests are skipped on purpose.
fn chromium() -> Option<String> {
    if let Ok(path) = std::env::var("TIM_CHROMIUM") {
        return Some(path);
    }
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        let found = std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()));
        if found {
            return Some(name.to_string());
        }
    }
    if std::env::var("TIM_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("TIM_SKIP_BROWSER=1: the inspector's browser test is skipped");
        return None;
    }
    panic!(
        "no Chromium found (chromium, chromium-browser, google-chrome on PATH, or TIM_CHROMIUM): \
         the inspector is tested in a real browser. Install it (Debian: apt-get install -y \
         chromium; .ci/run does) or set TIM_SKIP_BROWSER=1 to skip this test knowingly"
    );
}

/// A headless Chromium and one page of it, attached over the DevTools protocol.
struct Browser {
    child: Child,
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    profile: std::path::PathBuf,
    session: String,
    next_id: u64,
    /// Console errors, uncaught exceptions and error log entries seen so far.
    errors: Vec<String>,
}

impl Browser {
    async fn launch(binary: &str) -> Self {
        let profile = std::env::temp_dir().join(format!(
            "tim-inspector-{}-{}",
            std::process::id(),
            rand_suffix()
        ));
        let mut child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{binary} does not start: {e}"));
        let stderr = child.stderr.take().expect("stderr is piped");
        let url = tokio::time::timeout(PATIENCE, devtools_url(stderr))
            .await
            .expect("Chromium prints its DevTools address in time");
        let (ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .expect("the DevTools websocket opens");
        let mut browser = Self {
            child,
            ws,
            profile,
            session: String::new(),
            next_id: 0,
            errors: Vec::new(),
        };
        let target = browser
            .send("Target.createTarget", json!({"url": "about:blank"}))
            .await;
        let attached = browser
            .send(
                "Target.attachToTarget",
                json!({"targetId": target["targetId"], "flatten": true}),
            )
            .await;
        browser.session = attached["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        for domain in ["Runtime.enable", "Log.enable", "Page.enable"] {
            browser.send(domain, json!({})).await;
        }
        browser
    }

    /// Sends a command (to the page once attached) and waits for its answer, noting the
    /// error events that arrive meanwhile.
    async fn send(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            msg["sessionId"] = json!(self.session);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .await
            .expect("a DevTools command is sent");
        loop {
            let frame = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("Chromium answers in time")
                .expect("the DevTools websocket stays open")
                .expect("a websocket frame");
            let Message::Text(text) = frame else {
                continue;
            };
            let v: Value = serde_json::from_str(&text).expect("DevTools sends JSON");
            if v["id"] == id {
                assert!(v["error"].is_null(), "{method} failed: {v}");
                return v["result"].clone();
            }
            self.note_event(&v);
        }
    }

    fn note_event(&mut self, v: &Value) {
        let p = &v["params"];
        match v["method"].as_str() {
            Some("Runtime.exceptionThrown") => self
                .errors
                .push(format!("exception: {}", p["exceptionDetails"])),
            Some("Runtime.consoleAPICalled") if p["type"] == "error" => {
                self.errors.push(format!("console.error: {}", p["args"]))
            }
            Some("Log.entryAdded") if p["entry"]["level"] == "error" => {
                self.errors.push(format!("log: {}", p["entry"]))
            }
            _ => {}
        }
    }

    /// The value of a JavaScript expression in the page.
    async fn eval(&mut self, expression: &str) -> Value {
        let r = self
            .send(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
            )
            .await;
        r["result"]["value"].clone()
    }

    /// Waits until `expression` is true in the page (panics with `what` after [`PATIENCE`]).
    async fn wait_for(&mut self, expression: &str, what: &str) {
        let start = std::time::Instant::now();
        while self.eval(expression).await != json!(true) {
            if start.elapsed() > PATIENCE {
                let text = self.eval("document.body.innerText").await;
                panic!(
                    "the page never showed {what}; errors: {:?}; page text: {text}",
                    self.errors
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Browser {
    /// Kills the browser and waits (a second at most) for it to be gone before removing its
    /// profile directory, which it would otherwise keep writing into.
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        for _ in 0..50 {
            if !matches!(self.child.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// Reads Chromium's stderr up to `DevTools listening on ws://...`, then keeps draining it so
/// the browser never blocks on a full pipe.
async fn devtools_url(stderr: tokio::process::ChildStderr) -> String {
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(url) = line.strip_prefix("DevTools listening on ") {
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return url.trim().to_string();
        }
        seen.push(line);
    }
    panic!("Chromium ended without a DevTools address: {seen:?}");
}

/// The text of the page's groups section contains `needle` (as a JS expression).
fn groups_show(needle: &str) -> String {
    format!(
        "(document.getElementById('groups')?.textContent ?? '').includes({})",
        json!(needle)
    )
}

#[tokio::test]
async fn the_inspector_shows_a_new_group_in_a_real_browser_without_console_errors() {
    let Some(binary) = chromium() else { return };
    let emu = Emu::start().await;
    emu.import(&["alice"]).await;
    let name = "<img src=x onerror=pwned=1>";
    let v = emu
        .create_group(
            json!({"Owner_Account": "alice", "Type": "Public", "Name": name,
            "AppDefinedData": []}),
        )
        .await;
    assert_eq!(code(&v), 0, "{v}");
    let id = v["GroupId"].as_str().expect("a GroupId").to_string();
    emu.call(
        "group_open_http_svc/get_group_info",
        json!({"GroupIdList": ["@TGS#nope"]}),
    )
    .await;

    let mut browser = Browser::launch(&binary).await;
    let url = format!("{}/_emulator/ui", emu.base());
    browser.send("Page.navigate", json!({"url": url})).await;
    browser.wait_for(&groups_show(&id), "the GroupId").await;
    browser
        .wait_for(&groups_show(name), "the group's name as text")
        .await;
    assert_eq!(
        browser
            .eval("window.pwned === undefined && document.querySelector('#groups img') === null")
            .await,
        json!(true),
        "the group name must be shown as text, never parsed as HTML"
    );
    browser
        .wait_for(
            "(document.getElementById('journal')?.textContent ?? '').includes('create_group')",
            "the journal",
        )
        .await;
    // A group created while the page is open appears without a reload.
    let later = emu
        .create_group(json!({"Owner_Account": "alice", "Type": "Public", "Name": "later"}))
        .await;
    let later = later["GroupId"].as_str().expect("a GroupId").to_string();
    browser
        .wait_for(&groups_show(&later), "the later group")
        .await;
    // The reset button's POST carries the page's own Origin, which the guard lets through.
    browser
        .eval("window.confirm = () => true; document.getElementById('reset').click(); true")
        .await;
    browser
        .wait_for(
            "document.getElementById('groups-count')?.textContent === '(0)'",
            "the groups gone after the reset button",
        )
        .await;
    assert_eq!(emu.group_total().await, 0);
    browser
        .send("Runtime.evaluate", json!({"expression": "1"}))
        .await;
    assert!(
        browser.errors.is_empty(),
        "console errors: {:?}",
        browser.errors
    );
}

#[tokio::test]
async fn with_an_admin_token_the_inspector_asks_for_it_and_then_shows_the_state() {
    let Some(binary) = chromium() else { return };
    let mut s = Settings::zero_config();
    s.id_seed = Some(7);
    s.admin_token = Some("s3cret".into());
    let emu = Emu::start_with(s).await;
    let v = emu
        .create_group(json!({"Type": "Public", "Name": "guarded"}))
        .await;
    let id = v["GroupId"].as_str().expect("a GroupId").to_string();

    let mut browser = Browser::launch(&binary).await;
    let url = format!("{}/_emulator/ui", emu.base());
    browser.send("Page.navigate", json!({"url": url})).await;
    browser
        .wait_for(
            "document.getElementById('token-box')?.hidden === false",
            "the admin-token field",
        )
        .await;
    browser
        .eval(
            "document.getElementById('token').value = 's3cret'; \
             document.getElementById('token-save').click(); true",
        )
        .await;
    browser.wait_for(&groups_show(&id), "the GroupId").await;
}
