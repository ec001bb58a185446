//! The embedding API (`Emulator::builder()`, issue 14): what a Rust project's tests get from it,
//! and the README example staying the doc-tested one.

use serde_json::{Value, json};
use tim_emulator::Emulator;
use tim_emulator::faults::FaultSpec;

async fn post(url: String, body: Value) -> Value {
    reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test]
async fn a_keyed_app_verifies_the_usersigs_the_handle_mints_and_refuses_others() {
    let emu = Emulator::builder()
        .sdkappid(1_400_000_001)
        .secret_key("k1")
        .start()
        .await
        .expect("starts");
    let url = emu.vendor_url("im_open_login_svc/account_import", "administrator");
    let v = post(url.clone(), json!({"UserID": "alice"})).await;
    assert_eq!(v["ErrorCode"], 0, "{v}");
    let forged = url.replace(&emu.usersig("administrator"), "not-a-sig");
    let v = post(forged, json!({"UserID": "bob"})).await;
    assert_ne!(v["ErrorCode"], 0, "a wrong usersig is refused: {v}");
    let other_app = url.replace("sdkappid=1400000001", "sdkappid=1400000002");
    let v = post(other_app, json!({"UserID": "bob"})).await;
    assert_eq!(v["ErrorCode"], 70020, "only the built app is served: {v}");
}

#[tokio::test]
async fn an_unknown_rules_profile_fails_the_start_with_the_choices() {
    let e = Emulator::builder()
        .rules_profile("newest")
        .start()
        .await
        .expect_err("refused");
    assert!(
        e.to_string().contains("newest") && e.to_string().contains("current"),
        "{e}"
    );
}

#[tokio::test]
async fn the_handle_drives_the_control_plane_and_dropping_it_stops_the_server() {
    let emu = Emulator::builder().start().await.expect("starts");
    let url = emu.vendor_url("group_open_http_svc/create_group", "admin");
    let rule = emu
        .add_fault(FaultSpec {
            command: "create_group".into(),
            sdkappid: None,
            error_code: Some(10002),
            error_info: None,
            delay_ms: 0,
            times: Some(1),
            probability: 1.0,
        })
        .expect("installed");
    assert_eq!(rule.id, 1);
    let v = post(url.clone(), json!({"Type": "Public", "Name": "x"})).await;
    assert_eq!(v["ErrorCode"], 10002, "{v}");
    let v = post(url.clone(), json!({"Type": "Public", "Name": "x"})).await;
    assert_eq!(v["ErrorCode"], 0, "{v}");
    assert_eq!(emu.journal().len(), 2);
    emu.set_clock_ms(1_700_000_000_000, true);
    assert_eq!(emu.now_ms(), 1_700_000_000_000);
    let doc = emu.export_state();
    emu.reset().expect("reset");
    assert!(emu.journal().is_empty() && emu.export_state().apps.is_empty());
    emu.import_state(doc).expect("imported");
    assert_eq!(emu.export_state().apps[0].groups.len(), 1);

    let addr = emu.addr();
    drop(emu);
    let mut refused = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        refused,
        "the server still accepts connections after the drop"
    );
}

#[test]
fn the_readme_example_is_the_doc_tested_one() {
    let source = include_str!("../../src/embed.rs");
    let readme = include_str!("../../README.md");
    let doc: Vec<&str> = source
        .lines()
        .map(str::trim_start)
        .filter_map(|l| l.strip_prefix("///"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .skip_while(|l| *l != "```")
        .skip(1)
        .take_while(|l| *l != "```")
        .filter(|l| !l.starts_with("# "))
        .collect();
    assert!(doc.len() > 10, "the doc example was not found: {doc:?}");
    let snippet = doc.join("\n");
    assert!(
        readme.contains(&snippet),
        "README's *Embedding in Rust tests* example must equal the doc example of \
         Emulator::builder:\n{snippet}"
    );
}
