//! HTTPS on a second port (issue 14, item 2): a real TLS client (reqwest with rustls, and curl
//! when installed) trusts the CA the emulator writes and talks to the same state as the plain
//! port; a given certificate and key are served; a missing key file stops the start, naming
//! the path.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tim_emulator::tls::{self, CertSource};
use tim_emulator::{Emulator, Settings};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const BIN: &str = env!("CARGO_BIN_EXE_tim-emulator");
const QUERY: &str = "sdkappid=1400000000&identifier=administrator&usersig=x&random=1";

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("tim-https-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Self(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An in-process emulator serving the same state on a plain and an HTTPS port.
struct Both {
    http: String,
    https_port: u16,
    _stop: oneshot::Sender<()>,
}

async fn start_both(source: &CertSource) -> Both {
    let mut settings = Settings::zero_config();
    settings.id_seed = Some(7);
    let state = Emulator::new(settings);
    let acceptor = tls::acceptor(tls::identity(source).expect("identity")).expect("acceptor");
    let plain = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let secure = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let http = format!("http://{}", plain.local_addr().expect("addr"));
    let https_port = secure.local_addr().expect("addr").port();
    let (tx, rx) = oneshot::channel::<()>();
    let stop = futures_util::FutureExt::shared(async {
        let _ = rx.await;
    });
    tokio::spawn(tim_emulator::serve(plain, state.clone(), stop.clone()));
    tokio::spawn(tim_emulator::serve_tls(
        secure,
        acceptor,
        state.clone(),
        stop,
    ));
    Both {
        http,
        https_port,
        _stop: tx,
    }
}

fn client_trusting(ca_pem: &[u8]) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(ca_pem).expect("a PEM certificate");
    reqwest::Client::builder()
        .add_root_certificate(ca)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a client")
}

async fn vendor(client: &reqwest::Client, base: &str, path: &str, body: Value) -> Value {
    client
        .post(format!("{base}/v4/{path}?{QUERY}"))
        .json(&body)
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test]
async fn a_client_trusting_the_written_ca_reaches_the_same_state_over_https() {
    let dir = Scratch::new("ca");
    let ca_out = dir.path("ca.pem");
    let source = CertSource::Generated {
        extra_names: vec!["tim.test".into()],
        ca_out: Some(ca_out.clone()),
    };
    let emu = start_both(&source).await;
    let client = client_trusting(&std::fs::read(&ca_out).expect("the CA is written"));
    let https = format!("https://localhost:{}", emu.https_port);
    vendor(
        &client,
        &https,
        "im_open_login_svc/account_import",
        json!({"UserID": "leckie"}),
    )
    .await;
    let created = vendor(
        &client,
        &https,
        "group_open_http_svc/create_group",
        json!({"Owner_Account": "leckie", "Type": "Public", "Name": "tls", "GroupId": "tls-group"}),
    )
    .await;
    assert_eq!(created["ErrorCode"], 0, "{created}");
    let over_http = vendor(
        &reqwest::Client::new(),
        &emu.http,
        "group_open_http_svc/get_group_info",
        json!({"GroupIdList": ["tls-group"]}),
    )
    .await;
    assert_eq!(over_http["GroupInfo"][0]["Name"], "tls", "{over_http}");
    let by_ip = format!("https://127.0.0.1:{}/_emulator/health", emu.https_port);
    let health = client.get(by_ip).send().await.expect("answered by IP");
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_ca_is_refused_at_the_handshake() {
    let dir = Scratch::new("untrusted");
    let source = CertSource::Generated {
        extra_names: vec![],
        ca_out: Some(dir.path("ca.pem")),
    };
    let emu = start_both(&source).await;
    let other = tls::generate(&[], std::time::SystemTime::now()).expect("another CA");
    let stranger = client_trusting(other.ca_pem.as_deref().unwrap_or("").as_bytes());
    let url = format!("https://localhost:{}/_emulator/health", emu.https_port);
    let err = stranger.get(url).send().await.expect_err("not trusted");
    assert!(err.is_connect(), "{err:?}");
}

#[tokio::test]
async fn the_generated_certificate_covers_the_extra_names_and_no_other_name() {
    let dir = Scratch::new("names");
    let ca_out = dir.path("ca.pem");
    let source = CertSource::Generated {
        extra_names: vec!["tim.test".into()],
        ca_out: Some(ca_out.clone()),
    };
    let emu = start_both(&source).await;
    let ca = std::fs::read(&ca_out).expect("CA");
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", emu.https_port)
        .parse()
        .expect("addr");
    let answer = |host: &'static str| {
        let ca = ca.clone();
        async move {
            let client = reqwest::Client::builder()
                .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("PEM"))
                .resolve(host, addr)
                .build()
                .expect("client");
            client
                .get(format!("https://{host}:{}/_emulator/health", addr.port()))
                .send()
                .await
        }
    };
    assert!(answer("tim.test").await.is_ok_and(|r| r.status() == 200));
    assert!(answer("other.test").await.is_err());
}

/// The emulator binary, killed when dropped.
struct Binary(Child);

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Starts the binary with `args` plus a plain port, and waits until `probe` answers.
async fn start_binary(args: &[&str], ready: &Path) -> Binary {
    let http = free_port();
    let child = Command::new(BIN)
        .args(["--listen", &format!("127.0.0.1:{http}")])
        .args(args)
        .env_clear()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut bin = Binary(child);
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(Some(status)) = bin.0.try_wait() {
            panic!("the emulator exited early: {status}");
        }
        let url = format!("http://127.0.0.1:{http}/_emulator/health");
        if ready.exists() && client.get(url).send().await.is_ok() {
            return bin;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the emulator did not become healthy");
}

#[tokio::test]
async fn the_binary_serves_https_that_curl_and_reqwest_trust_with_the_written_ca() {
    let dir = Scratch::new("binary");
    let ca_out = dir.path("ca.pem");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let ca_arg = ca_out.to_string_lossy().to_string();
    let mut bin = start_binary(
        &["--https-listen", &listen, "--tls-ca-out", &ca_arg],
        &ca_out,
    )
    .await;
    let client = client_trusting(&std::fs::read(&ca_out).expect("CA"));
    let https = format!("https://localhost:{port}");
    let health = client.get(format!("{https}/_emulator/health")).send().await;
    assert!(health.is_ok_and(|r| r.status() == 200));
    let curl = Command::new("curl")
        .args(["-sS", "--cacert", &ca_arg, "-d", r#"{"UserID":"curl"}"#])
        .arg(format!(
            "{https}/v4/im_open_login_svc/account_import?{QUERY}"
        ))
        .output();
    match curl {
        Ok(out) => {
            let body = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "curl: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(body.contains("\"ErrorCode\":0"), "{body}");
        }
        Err(e) => eprintln!("curl not run ({e}); reqwest covered HTTPS"),
    }
    let _ = Command::new("kill")
        .args(["-TERM", &bin.0.id().to_string()])
        .status();
    let status = bin.0.wait().expect("the emulator exits");
    assert!(status.success(), "stopped with {status}");
}

#[tokio::test]
async fn the_binary_serves_a_given_certificate_and_key() {
    let dir = Scratch::new("given");
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    let (cert, key) = (dir.path("cert.pem"), dir.path("key.pem"));
    std::fs::write(&cert, made.cert.pem()).expect("cert written");
    std::fs::write(&key, made.signing_key.serialize_pem()).expect("key written");
    let port = free_port();
    let (cert_arg, key_arg) = (cert.to_string_lossy(), key.to_string_lossy());
    let listen = format!("127.0.0.1:{port}");
    let _bin = start_binary(
        &[
            "--https-listen",
            &listen,
            "--tls-cert",
            &cert_arg,
            "--tls-key",
            &key_arg,
        ],
        &cert,
    )
    .await;
    let client = client_trusting(made.cert.pem().as_bytes());
    let url = format!("https://localhost:{port}/_emulator/health");
    let mut answered = None;
    for _ in 0..100 {
        if let Ok(r) = client.get(&url).send().await {
            answered = Some(r.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(answered, Some(reqwest::StatusCode::OK));
}

#[test]
fn a_missing_key_file_stops_the_start_naming_the_path() {
    let dir = Scratch::new("missing");
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    let cert = dir.path("cert.pem");
    std::fs::write(&cert, made.cert.pem()).expect("cert written");
    let key = dir.path("no-such-key.pem");
    let out = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--https-listen", "127.0.0.1:0"])
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .env_clear()
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--tls-key"), "{stderr}");
    assert!(stderr.contains(&*key.to_string_lossy()), "{stderr}");
}

#[test]
fn a_certificate_without_its_key_is_refused_by_the_command_line() {
    let out = Command::new(BIN)
        .args([
            "--https-listen",
            "127.0.0.1:0",
            "--tls-cert",
            "/tmp/cert.pem",
        ])
        .env_clear()
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--tls-key"), "{stderr}");
}

/// With port 0 for both ports, a harness learns the HTTPS URL from the ready file, and that
/// URL serves with the written CA (issue 14 items 2 and 3 together).
#[tokio::test]
async fn with_port_0_the_ready_file_names_the_https_url_that_serves() {
    let dir = Scratch::new("ready");
    let (ca_out, ready) = (dir.path("ca.pem"), dir.path("ready.json"));
    let child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--https-listen", "127.0.0.1:0"])
        .arg("--tls-ca-out")
        .arg(&ca_out)
        .arg("--ready-file")
        .arg(&ready)
        .env_clear()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut bin = Binary(child);
    let mut record = None;
    for _ in 0..300 {
        if let Ok(Some(status)) = bin.0.try_wait() {
            panic!("the emulator exited early: {status}");
        }
        if let Some(v) = std::fs::read(&ready)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        {
            record = Some(v);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let record = record.expect("the ready file appears");
    let https = record["https"].as_str().expect("an https URL").to_string();
    assert!(https.starts_with("https://127.0.0.1:"), "{record}");
    assert_ne!(
        https, "https://127.0.0.1:0",
        "the bound port, not the asked one"
    );
    let client = client_trusting(&std::fs::read(&ca_out).expect("CA"));
    let health = client
        .get(format!("{https}/_emulator/health"))
        .send()
        .await
        .expect("HTTPS answers");
    assert_eq!(health.status(), 200);
    let _ = Command::new("kill")
        .args(["-TERM", &bin.0.id().to_string()])
        .status();
    let _ = bin.0.wait();
}
