//! Typed wire requests: converting a JSON body into a command's serde request type, with an
//! error that names the field path and what was expected
//! (`MemberList[3].Member_Account must be a string, not a number`).
//!
//! The path comes from `serde_path_to_error`; serde's own wording ("invalid type: integer `5`,
//! expected a string") is rephrased once, here, in the emulator's words. Request types keep every
//! field `Option` so that `null` means absent and a missing required field is reported by the
//! command's own checks, in the vendor's order of checks; [`required`] adds the hint about
//! case-sensitive field names when a differently-cased twin was sent.

use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A field of the body had the wrong JSON type or an impossible value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path} must be {expected}, not {found}")]
pub struct WireError {
    /// Where: `Name`, `MemberList[3].Member_Account`; `the body` for the top level.
    pub path: String,
    /// What it must be (`a string`, `an integer`, `an array`, ...).
    pub expected: String,
    /// What it was (`a number`, `a fraction`, ...).
    pub found: String,
}

/// Deserializes a request body (already known to be one JSON object, see `api::body`) straight
/// into `T`, without building a JSON tree first. A key given twice counts once, the last value
/// winning as in a JSON tree (the rare body that repeats a key takes the slower tree route).
pub fn from_slice<T: DeserializeOwned>(body: &[u8]) -> Result<T, WireError> {
    // The path tracker copies every key it passes; a well-formed body needs no path, so it is
    // only paid for on the (rare) failing request, by reading the body again.
    if let Ok(request) = serde_json::from_slice(body) {
        return Ok(request);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).or_else(|e| {
        if e.inner().to_string().starts_with("duplicate field") {
            let tree: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            return from_value(&tree, "");
        }
        let path = match e.path().to_string() {
            p if p == "." => "the body".to_string(),
            p => p,
        };
        let msg = e.into_inner().to_string();
        // serde_json adds the position; the path says more.
        let msg = msg.rfind(" at line ").map_or(msg.as_str(), |at| &msg[..at]);
        Err(describe(path, msg))
    })
}

/// Deserializes `value` into `T`; `at` prefixes the path (`""` for the body itself).
pub fn from_value<T: DeserializeOwned>(value: &Value, at: &str) -> Result<T, WireError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = match (at, inner.as_str()) {
            ("", ".") => "the body".to_string(),
            (at, ".") => at.to_string(),
            ("", p) => p.to_string(),
            (at, p) if p.starts_with('[') => format!("{at}{p}"),
            (at, p) => format!("{at}.{p}"),
        };
        describe(path, &e.into_inner().to_string())
    })
}

/// Turns serde's message into expected/found in the emulator's words.
fn describe(path: String, msg: &str) -> WireError {
    let rest = msg
        .strip_prefix("invalid type: ")
        .or_else(|| msg.strip_prefix("invalid value: "));
    let (found, expected) = match rest.and_then(|r| r.split_once(", expected ")) {
        Some((found, expected)) => (found_name(found), expected_name(expected)),
        None => ("something else".to_string(), msg.to_string()),
    };
    WireError {
        path,
        expected,
        found,
    }
}

fn found_name(found: &str) -> String {
    let kind = found.split(' ').next().unwrap_or(found);
    match kind {
        "integer" => "a number".into(),
        "floating" => "a number with a fraction part".into(),
        "string" => "a string".into(),
        "boolean" => "a boolean".into(),
        "map" => "an object".into(),
        "sequence" => "an array".into(),
        "null" | "unit" => "null".into(),
        _ => found.to_string(),
    }
}

fn expected_name(expected: &str) -> String {
    match expected {
        "a sequence" => "an array".into(),
        "a map" => "an object".into(),
        "a borrowed string" => "a string".into(),
        e if e.starts_with("struct ") => "an object".into(),
        "i64" | "u64" | "u32" | "i32" | "u8" | "usize" => "an integer".into(),
        e => e.to_string(),
    }
}

/// The required field `value`, or the error for its absence: `"{field} is required"`, with a
/// hint when the JSON object `body` holds the same name in another case (`name` for `Name`).
pub fn required<T>(value: Option<T>, field: &str, body: &[u8]) -> Result<T, String> {
    value.ok_or_else(|| missing(field, body))
}

/// The message for a missing required field of the JSON object `body` (see [`required`]).
/// The body is parsed again here, which only a failing request pays for.
pub fn missing(field: &str, body: &[u8]) -> String {
    missing_in(field, &serde_json::from_slice(body).unwrap_or(Value::Null))
}

/// The message for a missing required field of the JSON object `object`.
pub fn missing_in(field: &str, object: &Value) -> String {
    let twin = object.as_object().and_then(|o| {
        o.keys()
            .find(|k| k.as_str() != field && k.eq_ignore_ascii_case(field))
    });
    match twin {
        Some(t) => format!(
            "{field} is required; the body has {t:?}, but field names are case-sensitive: send it as {field:?}"
        ),
        None => format!("{field} is required"),
    }
}

/// A field typed only when it is used: the legacy spelling of a renamed field (`ShutUpTime`,
/// `ShutUpAllMember`) is ignored, whatever it holds, when the current name is sent (spec §11.1),
/// so its type may only be judged once the current name is known to be absent.
#[derive(Debug, Clone, PartialEq)]
pub struct Lazy<T> {
    raw: Option<Value>,
    _typed: std::marker::PhantomData<T>,
}

impl<T> Default for Lazy<T> {
    fn default() -> Self {
        Self {
            raw: None,
            _typed: std::marker::PhantomData,
        }
    }
}

impl<'de, T> Deserialize<'de> for Lazy<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self {
            raw: Option::<Value>::deserialize(d)?,
            _typed: std::marker::PhantomData,
        })
    }
}

impl<T: DeserializeOwned> Lazy<T> {
    /// The value typed as `T` (`null` or absent: `None`); `at` names the field in errors.
    pub fn typed(self, at: &str) -> Result<Option<T>, WireError> {
        match self.raw {
            None | Some(Value::Null) => Ok(None),
            Some(v) => from_value(&v, at).map(Some),
        }
    }
}

/// A JSON integer of any size a JSON number can carry as an integer (i64 or u64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Int(pub i128);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(i128::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                Ok(Int(i128::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int, E> {
                let what = if v.fract() == 0.0 {
                    "a number outside the 64-bit integer range"
                } else {
                    "a fraction"
                };
                Err(E::invalid_type(de::Unexpected::Other(what), &self))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[allow(non_snake_case, dead_code)]
    struct Item {
        Member_Account: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(non_snake_case, dead_code)]
    struct Body {
        Name: Option<String>,
        Count: Option<Int>,
        MemberList: Option<Vec<Item>>,
    }

    fn err(v: Value) -> String {
        from_value::<Body>(&v, "")
            .map(|_| ())
            .expect_err("must fail")
            .to_string()
    }

    #[test]
    fn errors_name_the_path_and_the_expected_type() {
        let table = [
            (json!({"Name": 5}), "Name must be a string, not a number"),
            (
                json!({"MemberList": [{}, {}, {}, {"Member_Account": 7}]}),
                "MemberList[3].Member_Account must be a string, not a number",
            ),
            (
                json!({"MemberList": "x"}),
                "MemberList must be an array, not a string",
            ),
            (
                json!({"MemberList": [1]}),
                "MemberList[0] must be an object, not a number",
            ),
            (
                json!({"Count": "1"}),
                "Count must be an integer, not a string",
            ),
            (
                json!({"Count": 1.5}),
                "Count must be an integer, not a fraction",
            ),
            (
                json!({"Count": 1e300}),
                "Count must be an integer, not a number outside the 64-bit integer range",
            ),
        ];
        for (body, want) in table {
            assert_eq!(err(body.clone()), want, "{body}");
        }
    }

    #[test]
    fn bodies_deserialize_straight_from_bytes_with_paths() {
        let e = from_slice::<Body>(br#"{"Name": "a", "MemberList": [{}, {"Member_Account": 1}]}"#)
            .expect_err("must fail");
        assert_eq!(
            e.to_string(),
            "MemberList[1].Member_Account must be a string, not a number"
        );
        let b: Body = from_slice(br#"{"Name": "a\u00e9", "X": {"y": [1]}}"#).expect("valid");
        assert_eq!(b.Name.as_deref(), Some("aé"));
        let b: Body = from_slice(br#"{"Name": "first", "Name": "last"}"#).expect("valid");
        assert_eq!(
            b.Name.as_deref(),
            Some("last"),
            "a repeated key: the last wins"
        );
    }

    #[test]
    fn null_is_absent_and_unknown_fields_are_ignored() {
        let b: Body = from_value(&json!({"Name": null, "Other": [1, 2]}), "").expect("valid");
        assert!(b.Name.is_none());
    }

    #[test]
    fn integers_cover_u64_and_i64() {
        let b: Body = from_value(&json!({"Count": u64::MAX}), "").expect("valid");
        assert_eq!(b.Count, Some(Int(i128::from(u64::MAX))));
        let b: Body = from_value(&json!({"Count": -5}), "").expect("valid");
        assert_eq!(b.Count, Some(Int(-5)));
    }

    #[test]
    fn a_prefix_is_joined_to_the_inner_path() {
        let e = from_value::<Item>(&json!({"Member_Account": []}), "MemberList[2]")
            .expect_err("must fail");
        assert_eq!(e.path, "MemberList[2].Member_Account");
        let e = from_value::<Item>(&json!(3), "MemberList[2]").expect_err("must fail");
        assert_eq!(
            e.to_string(),
            "MemberList[2] must be an object, not a number"
        );
    }

    #[test]
    fn a_missing_field_with_a_twin_in_another_case_says_so() {
        assert_eq!(missing("Name", b"{}"), "Name is required");
        let m = missing("Name", br#"{"name": "x"}"#);
        assert!(
            m.contains("case-sensitive") && m.contains("\"name\""),
            "{m}"
        );
    }
}
