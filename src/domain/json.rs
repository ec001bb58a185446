//! Reading typed fields out of a JSON object, with `null` meaning absent.
//!
//! Each reader answers `Err(FieldTypeError)` when the field is present with the wrong JSON type;
//! the caller turns that into its service's code (10004 for groups, 70402 for accounts).

use serde_json::{Map, Value};

/// A JSON object, as the wire gives it.
pub type Object = Map<String, Value>;

/// A field is present but holds the wrong JSON type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} must be {expected}, not {found}")]
pub struct FieldTypeError {
    /// The field's name as the vendor spells it (with a path for nested fields).
    pub field: String,
    /// What it must be.
    pub expected: &'static str,
    /// What it was.
    pub found: &'static str,
}

/// The JSON type name of `v`, for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn present<'a>(obj: &'a Object, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn wrong(field: &str, expected: &'static str, v: &Value) -> FieldTypeError {
    FieldTypeError {
        field: field.to_string(),
        expected,
        found: type_name(v),
    }
}

/// An optional string field.
pub fn opt_str<'a>(obj: &'a Object, key: &str) -> Result<Option<&'a str>, FieldTypeError> {
    match present(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(wrong(key, "a string", v)),
    }
}

/// An optional integer field (JSON numbers without a fraction; floats are a type error).
pub fn opt_int(obj: &Object, key: &str) -> Result<Option<i128>, FieldTypeError> {
    match present(obj, key) {
        None => Ok(None),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Ok(Some(i128::from(i))),
            (_, Some(u)) => Ok(Some(i128::from(u))),
            _ => Err(FieldTypeError {
                field: key.into(),
                expected: "an integer",
                found: if n.as_f64().is_some_and(|f| f.fract() == 0.0) {
                    "a number outside the 64-bit integer range"
                } else {
                    "a fraction"
                },
            }),
        },
        Some(v) => Err(wrong(key, "an integer", v)),
    }
}

/// An optional array field.
pub fn opt_array<'a>(obj: &'a Object, key: &str) -> Result<Option<&'a [Value]>, FieldTypeError> {
    match present(obj, key) {
        None => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(v) => Err(wrong(key, "an array", v)),
    }
}

/// An optional object field.
pub fn opt_object<'a>(obj: &'a Object, key: &str) -> Result<Option<&'a Object>, FieldTypeError> {
    match present(obj, key) {
        None => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(v) => Err(wrong(key, "an object", v)),
    }
}

/// An array item that must be an object.
pub fn item_object<'a>(
    v: &'a Value,
    field: &str,
    index: usize,
) -> Result<&'a Object, FieldTypeError> {
    match v {
        Value::Object(o) => Ok(o),
        other => Err(wrong(&format!("{field}[{index}]"), "an object", other)),
    }
}

/// An array item that must be a string.
pub fn item_str<'a>(v: &'a Value, field: &str, index: usize) -> Result<&'a str, FieldTypeError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(wrong(&format!("{field}[{index}]"), "a string", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Object {
        v.as_object().cloned().expect("test bodies are objects")
    }

    #[test]
    fn null_reads_as_absent() {
        let o = obj(json!({"A": null}));
        assert_eq!(opt_str(&o, "A"), Ok(None));
        assert_eq!(opt_int(&o, "A"), Ok(None));
        assert_eq!(opt_array(&o, "A"), Ok(None));
    }

    #[test]
    fn wrong_types_are_named() {
        let o = obj(json!({"S": 1, "I": "1", "F": 1.5, "A": {}}));
        assert_eq!(
            opt_str(&o, "S").map_err(|e| e.to_string()),
            Err("S must be a string, not a number".into())
        );
        assert!(opt_int(&o, "I").is_err());
        assert!(opt_int(&o, "F").is_err());
        assert!(opt_array(&o, "A").is_err());
    }

    #[test]
    fn integers_cover_the_whole_u64_and_i64_range() {
        let o = obj(json!({"Big": u64::MAX, "Neg": -5}));
        assert_eq!(opt_int(&o, "Big"), Ok(Some(i128::from(u64::MAX))));
        assert_eq!(opt_int(&o, "Neg"), Ok(Some(-5)));
    }

    #[test]
    fn non_integers_are_named_for_what_they_are() {
        let o: Object =
            serde_json::from_str(r#"{"F": 1.5, "Big": 123456789012345678901234567890}"#)
                .expect("valid JSON");
        let found = |k: &str| opt_int(&o, k).map_err(|e| e.found);
        assert_eq!(found("F"), Err("a fraction"));
        assert_eq!(
            found("Big"),
            Err("a number outside the 64-bit integer range")
        );
    }
}
