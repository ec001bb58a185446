//! What the answer to `Group.CallbackBeforeSendMsg` means (spec §39.1): go on (perhaps with a
//! rewritten `MsgBody` or `CloudCustomData`), refuse with 10016 or the backend's own code,
//! drop the message silently, or a failed callback that delivers or blocks as the app says.

use serde_json::Value;

use super::log::Delivery;
use super::verdict::CUSTOM_CODES;
use crate::error::VendorError;

/// What the backend asked to change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rewrite {
    /// A replacement `MsgBody` (a non-empty array in the answer).
    pub msg_body: Option<Value>,
    /// A replacement `CloudCustomData` (a string in the answer).
    pub cloud_custom_data: Option<String>,
}

impl Rewrite {
    /// Whether the answer changes nothing.
    pub fn is_empty(&self) -> bool {
        self.msg_body.is_none() && self.cloud_custom_data.is_none()
    }
}

/// The meaning of one before-send delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// `ErrorCode` 0, with what to change.
    Allow(Rewrite),
    /// `ErrorCode` 1, or a non-zero code that is not 2 nor 10100..=10200: refused (10016);
    /// holds the code and the answer's ErrorInfo.
    Reject(i64, String),
    /// `ErrorCode` 2: drop silently.
    Discard,
    /// `ErrorCode` in 10100..=10200: refused with that code and ErrorInfo.
    Custom(u32, String),
    /// No usable answer; holds why.
    Failed(String),
}

/// Reads `delivery`.
pub fn judge(delivery: &Delivery) -> Answer {
    if let Some(e) = &delivery.error {
        return Answer::Failed(e.clone());
    }
    match delivery.status {
        Some(200) => {}
        Some(s) => return Answer::Failed(format!("the backend answered HTTP {s}, not 200")),
        None => return Answer::Failed("the backend did not answer".into()),
    }
    let body = delivery.response_body.as_deref().unwrap_or("");
    let Ok(Value::Object(mut answer)) = serde_json::from_str::<Value>(body) else {
        return Answer::Failed("the backend's answer is not a JSON object".into());
    };
    let info = answer
        .get("ErrorInfo")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    match answer.get("ErrorCode").and_then(Value::as_i64) {
        Some(0) => Answer::Allow(Rewrite {
            msg_body: answer
                .remove("MsgBody")
                .filter(|b| b.as_array().is_some_and(|a| !a.is_empty())),
            cloud_custom_data: match answer.remove("CloudCustomData") {
                Some(Value::String(s)) => Some(s),
                _ => None,
            },
        }),
        Some(2) => Answer::Discard,
        Some(c) if CUSTOM_CODES.contains(&c) => {
            Answer::Custom(u32::try_from(c).unwrap_or(10016), info)
        }
        Some(c) => Answer::Reject(c, info),
        None => Answer::Failed("the backend's answer has no integer ErrorCode".into()),
    }
}

/// What the send does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<T> {
    /// Go on; with `Some`, the rechecked replacement.
    Go(Option<T>),
    /// Drop silently: answer OK with `MsgSeq` 0, store nothing.
    Discard,
    /// Refuse with this error.
    Refuse(VendorError),
}

/// The decision's name for the delivery log, and the outcome. `block` is the app's
/// `before_send_msg_on_failure = "block"`; `recheck` validates a replacement.
pub fn decide<T>(
    answer: Answer,
    block: bool,
    recheck: impl FnOnce(Rewrite) -> Result<T, String>,
) -> (&'static str, Outcome<T>) {
    const CMD: &str = super::events::BEFORE_SEND_MSG;
    let failed = |why: String| {
        if block {
            (
                "fail_closed",
                Outcome::Refuse(VendorError::CallbackFailedBlocked(format!(
                    "the {CMD} callback failed ({why}) and this app's before_send_msg_on_failure is \"block\""
                ))),
            )
        } else {
            ("fail_open", Outcome::Go(None))
        }
    };
    match answer {
        Answer::Allow(rewrite) if rewrite.is_empty() => ("allow", Outcome::Go(None)),
        Answer::Allow(rewrite) => match recheck(rewrite) {
            Ok(t) => ("rewrite", Outcome::Go(Some(t))),
            Err(why) => failed(format!("its replacement message is invalid: {why}")),
        },
        Answer::Discard => ("discard", Outcome::Discard),
        Answer::Reject(code, info) => {
            let mut text =
                format!("the app backend refused the message in {CMD} (ErrorCode {code})");
            if !info.is_empty() {
                text.push_str(&format!(": {info}"));
            }
            (
                "reject",
                Outcome::Refuse(VendorError::CallbackRejected(text)),
            )
        }
        Answer::Custom(code, info) => {
            let info = if info.is_empty() {
                format!("the app backend refused the message in {CMD} with ErrorCode {code}")
            } else {
                info
            };
            (
                "custom",
                Outcome::Refuse(VendorError::Custom { code, info }),
            )
        }
        Answer::Failed(why) => failed(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16, body: &str) -> Delivery {
        let mut d = Delivery::for_tests(super::super::events::BEFORE_SEND_MSG);
        d.status = Some(status);
        d.response_body = Some(body.into());
        d
    }

    fn run(status: u16, body: &str, block: bool) -> (&'static str, Result<bool, u32>) {
        let (name, outcome) = decide(judge(&answered(status, body)), block, |r| {
            if r.msg_body.as_ref().is_some_and(|b| b[0].is_string()) {
                Err("bad".to_string())
            } else {
                Ok(())
            }
        });
        let got = match outcome {
            Outcome::Go(rewritten) => Ok(rewritten.is_some()),
            Outcome::Discard => Err(0),
            Outcome::Refuse(e) => Err(e.code()),
        };
        (name, got)
    }

    /// HTTP status, answer, block, decision, outcome (Ok(rewritten) or Err(code); 0 = drop).
    type Row<'a> = (u16, &'a str, bool, &'a str, Result<bool, u32>);

    #[test]
    fn answers_map_to_the_spec_outcomes() {
        let rewrite =
            r#"{"ErrorCode":0,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}"#;
        let table: &[Row] = &[
            (200, r#"{"ErrorCode":0}"#, false, "allow", Ok(false)),
            (
                200,
                r#"{"ErrorCode":0,"MsgBody":[]}"#,
                false,
                "allow",
                Ok(false),
            ),
            (200, rewrite, false, "rewrite", Ok(true)),
            (
                200,
                r#"{"ErrorCode":0,"CloudCustomData":"c"}"#,
                false,
                "rewrite",
                Ok(true),
            ),
            (
                200,
                r#"{"ErrorCode":0,"MsgBody":["bad"]}"#,
                false,
                "fail_open",
                Ok(false),
            ),
            (
                200,
                r#"{"ErrorCode":0,"MsgBody":["bad"]}"#,
                true,
                "fail_closed",
                Err(80003),
            ),
            (
                200,
                r#"{"ErrorCode":1,"ErrorInfo":"no"}"#,
                false,
                "reject",
                Err(10016),
            ),
            (200, r#"{"ErrorCode":7}"#, false, "reject", Err(10016)),
            (200, r#"{"ErrorCode":2}"#, false, "discard", Err(0)),
            (200, r#"{"ErrorCode":10100}"#, false, "custom", Err(10100)),
            (200, r#"{"ErrorCode":10200}"#, false, "custom", Err(10200)),
            (200, r#"{"ErrorCode":10201}"#, false, "reject", Err(10016)),
            (200, "not json", false, "fail_open", Ok(false)),
            (500, "{}", true, "fail_closed", Err(80003)),
            (200, r#"{"ErrorCode":"0"}"#, true, "fail_closed", Err(80003)),
        ];
        for (status, body, block, name, want) in table {
            assert_eq!(
                run(*status, body, *block),
                (*name, *want),
                "{status} {body} {block}"
            );
        }
    }
}
