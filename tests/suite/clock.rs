//! The emulator's one clock (issue 9): `GET`/`POST /_emulator/clock` and `--clock-start` move
//! every time the emulator reads, so a test expires a UserSig, rolls the daily quota over or
//! stamps CreateTime without waiting.

use crate::common;

use common::{APP, Emu, code};
use serde_json::{Value, json};
use tim_emulator::apps::{Apps, Limits};
use tim_emulator::{Clock, Settings, config_file, usersig};

const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
/// 2023-11-14 22:13:20 UTC.
const T0: u64 = 1_700_000_000;

async fn clock(emu: &Emu) -> Value {
    let r = emu
        .http
        .get(format!("{}/_emulator/clock", emu.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn move_clock(emu: &Emu, body: Value) -> (u16, Value) {
    let r = emu
        .http
        .post(format!("{}/_emulator/clock", emu.base()))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn configured_at(ms: u64) -> Emu {
    let text =
        format!("[[apps]]\nsdkappid = {APP}\nkey = \"{KEY}\"\nadmins = [\"administrator\"]\n");
    let limits = Limits::from_profile(&tim_emulator::rules::DEFAULT);
    let mut s = Settings::zero_config();
    s.apps = Apps::configured(config_file::parse(&text, limits, false).unwrap(), limits);
    s.clock = Clock::frozen_at(ms);
    Emu::start_with(s).await
}

#[tokio::test]
async fn the_clock_endpoint_sets_advances_and_returns_to_real_time() {
    let emu = Emu::start().await;
    assert_eq!(clock(&emu).await["mode"], "real");
    let (status, v) = move_clock(&emu, json!({"set_ms": T0 * 1000})).await;
    assert_eq!(
        (status, &v["mode"], &v["now"]),
        (200, &json!("frozen"), &json!(T0))
    );
    let (_, v) = move_clock(&emu, json!({"advance_ms": 1500})).await;
    assert_eq!(v["now_ms"], T0 * 1000 + 1500);
    let (_, v) = move_clock(&emu, json!({"set_ms": T0 * 1000, "frozen": false})).await;
    assert_eq!(v["mode"], "shifted");
    let (_, v) = move_clock(&emu, json!({"real": true})).await;
    assert_eq!((&v["mode"], &v["offset_ms"]), (&json!("real"), &json!(0)));
    for bad in [
        json!({}),
        json!({"set_ms": 1, "advance_ms": 1}),
        json!({"advance_ms": 1, "frozen": true}),
        json!({"real": false}),
        json!({"set_ms": -1}),
        json!({"set": 1}),
    ] {
        let (status, v) = move_clock(&emu, bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {v}");
        assert!(v["error"].is_string(), "{v}");
    }
}

#[tokio::test]
async fn create_time_and_join_time_come_from_the_emulator_clock() {
    let emu = Emu::start().await;
    move_clock(&emu, json!({"set_ms": T0 * 1000})).await;
    let v = emu
        .create_group(json!({"Owner_Account": "admin", "Type": "Public", "Name": "g"}))
        .await;
    let id = v["GroupId"].as_str().unwrap().to_string();
    let g = emu.group_info(&id).await;
    assert_eq!(
        (&g["CreateTime"], &g["LastInfoTime"]),
        (&json!(T0), &json!(T0))
    );
    assert_eq!(g["MemberList"][0]["JoinTime"], T0);
}

#[tokio::test]
async fn advancing_the_clock_expires_a_usersig() {
    let emu = configured_at(T0 * 1000).await;
    let sig = usersig::mint(APP, KEY, "administrator", T0, 60, None);
    let q = format!("sdkappid={APP}&identifier=administrator&usersig={sig}");
    let body = json!({"Type": "Public", "Name": "g"}).to_string();
    let path = "group_open_http_svc/create_group";
    assert_eq!(code(&emu.post_raw(path, &q, body.clone()).await.json()), 0);
    move_clock(&emu, json!({"advance_ms": 60_000})).await;
    assert_eq!(
        code(&emu.post_raw(path, &q, body.clone()).await.json()),
        0,
        "now == time + expire is still valid"
    );
    move_clock(&emu, json!({"advance_ms": 1000})).await;
    let v = emu.post_raw(path, &q, body).await.json();
    assert_eq!(code(&v), 70001, "{v}");
}

#[tokio::test]
async fn moving_the_clock_to_the_next_china_day_rolls_the_daily_quota_over() {
    let limits = Limits {
        daily_group_creations: 2,
        ..Limits::UNLIMITED
    };
    let mut s = Settings::zero_config();
    s.apps = Apps::zero_config(limits);
    // 15:59:59 UTC is 23:59:59 in Beijing.
    s.clock = Clock::frozen_at(1_699_977_599_000);
    let emu = Emu::start_with(s).await;
    let make = || emu.create_group(json!({"Type": "Public", "Name": "g"}));
    assert_eq!(code(&make().await), 0);
    assert_eq!(code(&make().await), 0);
    let v = make().await;
    assert_eq!(code(&v), 10006, "{v}");
    move_clock(&emu, json!({"advance_ms": 1000})).await;
    assert_eq!(code(&make().await), 0, "a new China day, a new quota");
}

#[tokio::test]
async fn journal_times_follow_the_clock() {
    let emu = Emu::start().await;
    move_clock(&emu, json!({"set_ms": T0 * 1000 + 7})).await;
    emu.create_group(json!({"Type": "Public", "Name": "g"}))
        .await;
    let r: Value = emu
        .http
        .get(format!(
            "{}/_emulator/requests?command=create_group",
            emu.base()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["entries"][0]["time_ms"], T0 * 1000 + 7, "{r}");
}
