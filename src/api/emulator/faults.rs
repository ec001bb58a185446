//! `/_emulator/faults`: `POST` installs a fault rule (at most [`crate::faults::MAX_RULES`] at
//! once), `GET` lists the rules with their ids and remaining uses (a rule whose `times` are used
//! up is gone), `DELETE` removes them all and `DELETE /_emulator/faults/{id}` removes one.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::reply::{ControlError, json_body};
use crate::api::registry;
use crate::emulator::Shared;
use crate::faults::{FaultRule, FaultSpec, MAX_DELAY_MS};

/// The largest fault rule body read.
const MAX_RULE_BYTES: usize = 64 << 10;

/// A posted rule: every key but `command` optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRequest {
    command: Option<String>,
    sdkappid: Option<u64>,
    error_code: Option<u32>,
    error_info: Option<String>,
    delay_ms: Option<u64>,
    times: Option<u64>,
    probability: Option<f64>,
}

/// The rule list.
#[derive(Serialize)]
pub struct FaultList {
    faults: Vec<Arc<FaultRule>>,
}

/// Installs a rule; 201 with the rule (and its id), 400 when it is not valid or
/// [`crate::faults::MAX_RULES`] rules are installed already.
pub async fn post(
    State(emu): State<Shared>,
    body: Body,
) -> Result<(StatusCode, Json<Arc<FaultRule>>), ControlError> {
    let req: FaultRequest = json_body(body, MAX_RULE_BYTES).await?;
    let spec = req.into_spec().map_err(ControlError::bad_request)?;
    let rule = emu
        .faults
        .add(spec)
        .map_err(|e| ControlError::bad_request(e.to_string()))?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// The rules that still have uses left, oldest first.
pub async fn get(State(emu): State<Shared>) -> Json<FaultList> {
    Json(FaultList {
        faults: emu.faults.list(),
    })
}

/// Removes every rule.
pub async fn delete_all(State(emu): State<Shared>) -> StatusCode {
    emu.faults.clear();
    StatusCode::NO_CONTENT
}

/// Removes one rule; 404 when there is none with that id.
pub async fn delete_one(
    State(emu): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ControlError> {
    let Path(id) = id.map_err(|e| {
        ControlError::bad_request(format!("the fault id in the path is not valid: {e}"))
    })?;
    let n: u64 = id
        .parse()
        .map_err(|_| ControlError::bad_request(format!("fault id {id:?} is not a number")))?;
    if emu.faults.remove(n) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ControlError::not_found(format!(
            "there is no fault rule {n}"
        )))
    }
}

impl FaultRequest {
    /// The validated rule, or why it is refused.
    fn into_spec(self) -> Result<FaultSpec, String> {
        let command = self.command.ok_or("command is required")?;
        if command != "*" && registry::by_name(&command).is_none() {
            let known: Vec<&str> = registry::names().collect();
            return Err(format!(
                "command {command:?} is not served by tim-emulator; use \"*\" or one of {}",
                known.join(", ")
            ));
        }
        let delay_ms = self.delay_ms.unwrap_or(0);
        check_effect(self.error_code, self.error_info.as_deref(), delay_ms)?;
        let probability = self.probability.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&probability) {
            return Err(format!("probability {probability} is not between 0 and 1"));
        }
        if self.times == Some(0) || self.sdkappid == Some(0) {
            return Err("times and sdkappid must be positive when given".into());
        }
        Ok(FaultSpec {
            command,
            sdkappid: self.sdkappid,
            error_code: self.error_code,
            error_info: self.error_info,
            delay_ms,
            times: self.times,
            probability,
        })
    }
}

fn check_effect(code: Option<u32>, info: Option<&str>, delay_ms: u64) -> Result<(), String> {
    if code.is_none() && delay_ms == 0 {
        return Err("a rule needs error_code, delay_ms (above 0), or both".into());
    }
    if code == Some(0) {
        return Err("error_code 0 is success; give a failure code such as 10002".into());
    }
    if code.is_none() && info.is_some() {
        return Err("error_info needs an error_code".into());
    }
    if delay_ms > MAX_DELAY_MS {
        return Err(format!(
            "delay_ms {delay_ms} is over the {MAX_DELAY_MS} ms maximum"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(v: serde_json::Value) -> Result<FaultSpec, String> {
        let r: FaultRequest = serde_json::from_value(v).map_err(|e| e.to_string())?;
        r.into_spec()
    }

    #[test]
    fn rules_are_validated_before_they_are_installed() {
        use serde_json::json;
        let table = [
            (
                json!({"command": "create_group", "error_code": 10002}),
                true,
            ),
            (json!({"command": "*", "delay_ms": 10}), true),
            (
                json!({"command": "create_group", "sdkappid": 1400000000, "error_code": 60007,
                       "error_info": "x", "delay_ms": 5, "times": 1, "probability": 0.5}),
                true,
            ),
            (json!({"error_code": 10002}), false),
            (
                json!({"command": "create_gruop", "error_code": 10002}),
                false,
            ),
            (json!({"command": "create_group"}), false),
            (json!({"command": "create_group", "delay_ms": 0}), false),
            (json!({"command": "create_group", "error_code": 0}), false),
            (
                json!({"command": "create_group", "error_info": "x", "delay_ms": 1}),
                false,
            ),
            (
                json!({"command": "create_group", "error_code": 1, "probability": 1.5}),
                false,
            ),
            (
                json!({"command": "create_group", "error_code": 1, "times": 0}),
                false,
            ),
            (
                json!({"command": "create_group", "error_code": 1, "delay_ms": 600001}),
                false,
            ),
            (
                json!({"command": "create_group", "error_code": 1, "extra": 1}),
                false,
            ),
            (
                json!({"command": "create_group", "error_code": "10002"}),
                false,
            ),
        ];
        for (body, ok) in table {
            assert_eq!(req(body.clone()).is_ok(), ok, "{body}");
        }
    }
}
