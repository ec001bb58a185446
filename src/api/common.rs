//! The common layer of every vendor request, in SPEC §1 order: path and method, service and
//! command, query parameters, app, caller and UserSig, rate, body size, JSON, account fields.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::command::{Call, Command};
use crate::domain::json::{Object, type_name};
use crate::emulator::Shared;
use crate::error::VendorError;
use crate::store::throttle::{mono_nanos, unix_now};
use crate::usersig;

/// The largest body the emulator reads (emulator choice: 1 MiB).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Account fields that must be strings wherever they appear (60015 otherwise).
const ACCOUNT_FIELDS: [&str; 4] = ["Owner_Account", "Member_Account", "UserID", "Identifier"];

/// The query parameters every vendor request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommonQuery {
    /// `sdkappid`.
    pub sdkappid: u64,
    /// `identifier`.
    pub identifier: String,
    /// `usersig`.
    pub usersig: String,
}

impl CommonQuery {
    /// Reads the parameters in any order; the first occurrence of a repeated one wins.
    pub fn parse(query: Option<&str>) -> Result<Self, VendorError> {
        let (mut sdkappid, mut identifier, mut usersig) = (None, None, None);
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let slot = match k.as_ref() {
                "sdkappid" => &mut sdkappid,
                "identifier" => &mut identifier,
                "usersig" => &mut usersig,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(v.into_owned());
            }
        }
        let raw = sdkappid.ok_or(VendorError::MissingSdkAppId)?;
        let sdkappid = parse_sdkappid(&raw)?;
        let identifier = identifier
            .filter(|s| !s.is_empty())
            .ok_or(VendorError::MissingIdentifier)?;
        Ok(Self {
            sdkappid,
            identifier,
            usersig: usersig.unwrap_or_default(),
        })
    }
}

fn parse_sdkappid(raw: &str) -> Result<u64, VendorError> {
    let digits = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
    match raw.parse::<u64>() {
        Ok(n) if digits && n > 0 => Ok(n),
        _ => Err(VendorError::BadSdkAppId(raw.to_string())),
    }
}

/// The `/v4/{service}/{command}` handler.
pub async fn vendor(State(emu): State<Shared>, req: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let command = command_word(&parts);
    let result = serve(&emu, &parts, body).await;
    let code = result.as_ref().map_or_else(VendorError::code, |_| 0);
    // Debug, not info: one line per request costs about a fifth of a request's CPU under load
    // (formatting plus a write to stderr); `--log-level debug` or RUST_LOG brings it back.
    tracing::debug!(
        method = %parts.method,
        path = parts.uri.path(),
        command,
        error_code = code,
        latency_us = started.elapsed().as_micros() as u64,
        "vendor request"
    );
    result.unwrap_or_else(IntoResponse::into_response)
}

fn command_word(parts: &Parts) -> &str {
    parts.uri.path().rsplit('/').next().unwrap_or("")
}

fn route(parts: &Parts) -> Result<Command, VendorError> {
    let path = parts.uri.path();
    let mut segs = path.strip_prefix("/v4/").unwrap_or("").split('/');
    let (Some(service), Some(command), None) = (segs.next(), segs.next(), segs.next()) else {
        return Err(VendorError::HttpParse(format!(
            "path {path:?} is not /v4/{{service}}/{{command}}"
        )));
    };
    if parts.method != Method::POST {
        return Err(VendorError::HttpParse(format!(
            "{} is not allowed; vendor commands are called with POST",
            parts.method
        )));
    }
    Command::lookup(service, command)
}

async fn serve(emu: &Shared, parts: &Parts, body: Body) -> Result<Response, VendorError> {
    let command = route(parts)?;
    let q = CommonQuery::parse(parts.uri.query())?;
    let policy = emu.apps.policy(q.sdkappid)?;
    if q.usersig.is_empty() {
        return Err(VendorError::MissingUserSig);
    }
    if let Some(key) = &policy.key {
        usersig::verify(&q.usersig, q.sdkappid, &q.identifier, key, unix_now())?;
    }
    let app = emu.store.app(q.sdkappid, policy);
    if !app.try_call(command.name(), mono_nanos()) {
        let l = &policy.limits;
        let per_second = if command == Command::CreateGroup {
            l.create_group_per_second
        } else {
            l.other_per_second
        };
        return Err(VendorError::RateLimited {
            command: command.name(),
            per_second,
        });
    }
    let body = read_json_object(body).await?;
    check_account_fields(&body)?;
    let client_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let call = Call {
        emu: emu.clone(),
        app,
        identifier: q.identifier,
        body,
        client_ip,
    };
    command.run(call).await
}

async fn read_json_object(body: Body) -> Result<Object, VendorError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            VendorError::HttpParse(format!(
                "the body could not be read or is larger than {MAX_BODY_BYTES} bytes (1 MiB)"
            ))
        })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(VendorError::BadJson(
            "the body is empty; send a JSON object".into(),
        ));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(other) => Err(VendorError::BadJson(format!(
            "the body must be a JSON object, not {}",
            type_name(&other)
        ))),
        Err(e) => Err(VendorError::BadJson(format!(
            "the body is not valid JSON: {e}"
        ))),
    }
}

/// 60015 when an account field is present but not a string, at the top level, inside the
/// objects of a top-level array, or as an item of `Accounts`.
pub fn check_account_fields(body: &Object) -> Result<(), VendorError> {
    check_object_accounts(body, "")?;
    for (key, value) in body {
        let Value::Array(items) = value else { continue };
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::Object(o) => check_object_accounts(o, &format!("{key}[{i}]."))?,
                Value::String(_) => {}
                other if key == "Accounts" => {
                    return Err(VendorError::AccountFieldType(format!(
                        "Accounts[{i}] ({})",
                        type_name(other)
                    )));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn check_object_accounts(o: &Object, prefix: &str) -> Result<(), VendorError> {
    for field in ACCOUNT_FIELDS {
        match o.get(field) {
            None | Some(Value::Null) | Some(Value::String(_)) => {}
            Some(other) => {
                return Err(VendorError::AccountFieldType(format!(
                    "{prefix}{field} ({})",
                    type_name(other)
                )));
            }
        }
    }
    Ok(())
}

/// Every unmatched route: the vendor envelope (60002) for vendor-looking paths, a JSON 404 for
/// the control plane.
pub async fn fallback(req: Request) -> Response {
    let path = req.uri().path();
    if path.starts_with("/_emulator") {
        let body = serde_json::json!({"error": format!("no control-plane endpoint {} {path}", req.method())});
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    }
    VendorError::HttpParse(format!("path {path:?} is not /v4/{{service}}/{{command}}"))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_checks_follow_the_spec_order() {
        let table: &[(Option<&str>, Result<(), u32>)] = &[
            (Some("sdkappid=1&identifier=admin&usersig=x"), Ok(())),
            (
                Some("usersig=x&identifier=admin&sdkappid=1&random=5&contenttype=json"),
                Ok(()),
            ),
            (None, Err(60012)),
            (Some("identifier=admin&usersig=x"), Err(60012)),
            (Some("sdkappid=abc&identifier=admin"), Err(60006)),
            (Some("sdkappid=0&identifier=admin"), Err(60006)),
            (Some("sdkappid=-1&identifier=admin"), Err(60006)),
            (Some("sdkappid=%2B1&identifier=admin"), Err(60006)),
            (Some("sdkappid=&identifier=admin"), Err(60006)),
            (
                Some("sdkappid=99999999999999999999999&identifier=admin"),
                Err(60006),
            ),
            (Some("sdkappid=1"), Err(60004)),
            (Some("sdkappid=1&identifier="), Err(60004)),
            (Some("sdkappid=1&identifier=admin"), Ok(())),
        ];
        for (q, want) in table {
            let got = CommonQuery::parse(*q).map(|_| ()).map_err(|e| e.code());
            assert_eq!(got, *want, "{q:?}");
        }
    }

    #[test]
    fn the_first_of_repeated_parameters_wins() {
        let q = CommonQuery::parse(Some("sdkappid=5&sdkappid=6&identifier=a%20b&usersig=x"))
            .expect("valid");
        assert_eq!((q.sdkappid, q.identifier.as_str()), (5, "a b"));
    }

    #[test]
    fn account_fields_must_be_strings_anywhere_they_appear() {
        let table = [
            (serde_json::json!({"Owner_Account": "a"}), Ok(())),
            (serde_json::json!({"Owner_Account": 1}), Err(60015)),
            (serde_json::json!({"Owner_Account": null}), Ok(())),
            (
                serde_json::json!({"MemberList": [{"Member_Account": 5}]}),
                Err(60015),
            ),
            (
                serde_json::json!({"CheckItem": [{"UserID": true}]}),
                Err(60015),
            ),
            (serde_json::json!({"Identifier": []}), Err(60015)),
            (serde_json::json!({"Accounts": ["a", 2]}), Err(60015)),
            (serde_json::json!({"Accounts": ["a", "b"]}), Ok(())),
        ];
        for (body, want) in table {
            let o = body.as_object().cloned().unwrap_or_default();
            assert_eq!(
                check_account_fields(&o).map_err(|e| e.code()),
                want,
                "{body}"
            );
        }
    }
}
