//! What the answer to a before-callback (before-create, before-invite) means: go on (leaving out
//! the accounts of `RefusedMembers_Account`), veto with 10016, veto with the backend's own code
//! (10100..=10200), or a failed callback that fails open or closed as the app says.

use serde_json::Value;

use super::log::Delivery;
use crate::error::VendorError;

/// The backend's own codes that are passed through to the REST caller.
pub const CUSTOM_CODES: std::ops::RangeInclusive<i64> = 10100..=10200;

/// The meaning of one before-callback delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// `ErrorCode` 0: the request goes on, without the accounts listed (the string items of
    /// `RefusedMembers_Account`, which only before-invite answers carry).
    Allow(Vec<String>),
    /// `ErrorCode` 1: the creation is refused with 10016; holds the answer's ErrorInfo.
    Reject(String),
    /// `ErrorCode` in 10100..=10200: refused with that code and ErrorInfo.
    Custom {
        /// The backend's code.
        code: u32,
        /// The backend's ErrorInfo.
        info: String,
    },
    /// No usable answer; holds why.
    Failed(String),
}

/// Reads `delivery`: transport failures, non-200 answers, bodies that are not a JSON object
/// with an integer `ErrorCode`, and codes outside 0, 1 and 10100..=10200 are all failures.
pub fn judge(delivery: &Delivery) -> Verdict {
    if let Some(e) = &delivery.error {
        return Verdict::Failed(e.clone());
    }
    match delivery.status {
        Some(200) => {}
        Some(s) => return Verdict::Failed(format!("the backend answered HTTP {s}, not 200")),
        None => return Verdict::Failed("the backend did not answer".into()),
    }
    let body = delivery.response_body.as_deref().unwrap_or("");
    let Ok(Value::Object(answer)) = serde_json::from_str::<Value>(body) else {
        return Verdict::Failed("the backend's answer is not a JSON object".into());
    };
    let info = answer
        .get("ErrorInfo")
        .and_then(Value::as_str)
        .unwrap_or("");
    match answer.get("ErrorCode").and_then(Value::as_i64) {
        Some(0) => Verdict::Allow(refused(&answer)),
        Some(1) => Verdict::Reject(info.to_string()),
        Some(c) if CUSTOM_CODES.contains(&c) => Verdict::Custom {
            code: u32::try_from(c).unwrap_or(10016),
            info: info.to_string(),
        },
        Some(c) => Verdict::Failed(format!(
            "the backend's ErrorCode {c} is none of 0, 1 or 10100..=10200"
        )),
        None => Verdict::Failed("the backend's answer has no integer ErrorCode".into()),
    }
}

fn refused(answer: &serde_json::Map<String, Value>) -> Vec<String> {
    match answer.get("RefusedMembers_Account") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// What a before-callback decides about: its command and the noun for messages
/// (`Group.CallbackBeforeCreateGroup`, "creation").
#[derive(Debug, Clone, Copy)]
pub struct Subject {
    /// The callback command.
    pub command: &'static str,
    /// What it may veto, for ErrorInfo ("creation", "invitation").
    pub noun: &'static str,
}

/// The decision's name for the delivery log, and what the request does: go on without the
/// refused accounts, or fail.
pub fn decide(
    verdict: Verdict,
    fail_closed: bool,
    subject: Subject,
) -> (&'static str, Result<Vec<String>, VendorError>) {
    let Subject { command, noun } = subject;
    match verdict {
        Verdict::Allow(refused) => ("allow", Ok(refused)),
        Verdict::Reject(info) => {
            let mut text =
                format!("the app backend rejected the {noun} in {command} (ErrorCode 1)");
            if !info.is_empty() {
                text.push_str(&format!(": {info}"));
            }
            ("reject", Err(VendorError::CallbackRejected(text)))
        }
        Verdict::Custom { code, info } => {
            let info = if info.is_empty() {
                format!("the app backend rejected the {noun} in {command} with ErrorCode {code}")
            } else {
                info
            };
            ("custom", Err(VendorError::Custom { code, info }))
        }
        Verdict::Failed(_) if !fail_closed => ("fail_open", Ok(Vec::new())),
        Verdict::Failed(why) => (
            "fail_closed",
            Err(VendorError::CallbackRejected(format!(
                "the {command} callback failed ({why}) and this app's callback is set to fail closed"
            ))),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBJECT: Subject = Subject {
        command: super::super::events::BEFORE_CREATE_GROUP,
        noun: "creation",
    };

    #[test]
    fn refused_members_are_read_from_an_allowing_answer() {
        let d = answered(
            200,
            r#"{"ErrorCode":0,"RefusedMembers_Account":["a",5,"b"]}"#,
        );
        assert_eq!(judge(&d), Verdict::Allow(vec!["a".into(), "b".into()]));
    }

    fn answered(status: u16, body: &str) -> Delivery {
        Delivery {
            seq: 1,
            time_ms: 0,
            sdkappid: 1,
            command: super::super::events::BEFORE_CREATE_GROUP,
            url: String::new(),
            request_body: String::new(),
            request_body_bytes: 0,
            status: Some(status),
            response_body: Some(body.into()),
            response_body_bytes: Some(body.len() as u64),
            response_body_truncated: false,
            error: None,
            latency_ms: 0,
            decision: None,
        }
    }

    /// HTTP status, answer body, expected decision, fail_closed, expected code.
    type Row<'a> = (u16, &'a str, &'a str, bool, Result<(), u32>);

    #[test]
    fn answers_map_to_the_spec_verdicts() {
        let ok = r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}"#;
        let table: &[Row] = &[
            (200, ok, "allow", false, Ok(())),
            (
                200,
                r#"{"ErrorCode":1,"ErrorInfo":"no"}"#,
                "reject",
                false,
                Err(10016),
            ),
            (200, r#"{"ErrorCode":10100}"#, "custom", false, Err(10100)),
            (
                200,
                r#"{"ErrorCode":10150,"ErrorInfo":"x"}"#,
                "custom",
                false,
                Err(10150),
            ),
            (200, r#"{"ErrorCode":10200}"#, "custom", false, Err(10200)),
            (200, r#"{"ErrorCode":10201}"#, "fail_open", false, Ok(())),
            (200, r#"{"ErrorCode":2}"#, "fail_closed", true, Err(10016)),
            (200, r#"{"ErrorCode":"0"}"#, "fail_open", false, Ok(())),
            (200, "not json", "fail_open", false, Ok(())),
            (200, "[0]", "fail_closed", true, Err(10016)),
            (500, ok, "fail_open", false, Ok(())),
            (500, ok, "fail_closed", true, Err(10016)),
            (200, ok, "allow", true, Ok(())),
        ];
        for (status, body, name, closed, want) in table {
            let (got_name, got) = decide(judge(&answered(*status, body)), *closed, SUBJECT);
            assert_eq!(
                (got_name, got.map(|_| ()).map_err(|e| e.code())),
                (*name, *want),
                "{status} {body} closed={closed}"
            );
        }
    }

    #[test]
    fn a_transport_error_is_a_failure_that_names_its_cause() {
        let mut d = answered(200, "");
        (d.status, d.response_body, d.error) = (None, None, Some("connection refused".into()));
        assert_eq!(judge(&d), Verdict::Failed("connection refused".into()));
    }

    #[test]
    fn custom_codes_carry_the_backends_error_info() {
        let d = answered(
            200,
            r#"{"ErrorCode":10150,"ErrorInfo":"quota of the shop"}"#,
        );
        let (_, got) = decide(judge(&d), false, SUBJECT);
        assert_eq!(
            got,
            Err(VendorError::Custom {
                code: 10150,
                info: "quota of the shop".into()
            })
        );
    }
}
