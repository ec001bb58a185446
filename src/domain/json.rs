//! Untyped JSON helpers for the common layer: the body object and JSON type names for
//! messages. Commands read typed requests instead (see [`super::wire`]).

use serde_json::{Map, Value};

/// A JSON object, as the wire gives it.
pub type Object = Map<String, Value>;

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn type_names_read_as_english() {
        assert_eq!(type_name(&json!(1)), "a number");
        assert_eq!(type_name(&json!([])), "an array");
        assert_eq!(type_name(&json!(null)), "null");
    }
}
