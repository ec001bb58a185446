//! How the control plane reads requests and answers errors: plain JSON bodies, ordinary HTTP
//! status codes, and `{"error": "..."}` for every refusal (never a framework's plain text).

use axum::Json;
use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// A refused control-plane request.
#[derive(Debug)]
pub struct ControlError {
    status: StatusCode,
    message: String,
}

impl ControlError {
    /// 400 with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// 500 with `message`: something the emulator checked earlier failed after all.
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
        }
    }

    /// 404 with `message`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message });
        (self.status, Json(body)).into_response()
    }
}

/// Reads a body of at most `limit` bytes; 400 when it cannot.
pub async fn body_bytes(body: Body, limit: usize) -> Result<Bytes, ControlError> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        ControlError::bad_request(format!(
            "the body could not be read or is larger than {limit} bytes"
        ))
    })
}

/// Reads a JSON object body of at most `limit` bytes into `T`; 400 saying why when it cannot.
pub async fn json_body<T: DeserializeOwned>(body: Body, limit: usize) -> Result<T, ControlError> {
    let bytes = body_bytes(body, limit).await?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| ControlError::bad_request(format!("the body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ControlError::bad_request("the body must be a JSON object"));
    }
    serde_json::from_value(value)
        .map_err(|e| ControlError::bad_request(format!("the body is not valid here: {e}")))
}

/// The query parameters, first occurrence of each name.
pub fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if !out.iter().any(|(seen, _)| *seen == k) {
            out.push((k.into_owned(), v.into_owned()));
        }
    }
    out
}

/// The value of `name` parsed as a positive sdkappid, if given; 400 when it is not one.
pub fn sdkappid_param(pairs: &[(String, String)]) -> Result<Option<u64>, ControlError> {
    let Some((_, raw)) = pairs.iter().find(|(k, _)| k == "sdkappid") else {
        return Ok(None);
    };
    match raw.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(ControlError::bad_request(format!(
            "sdkappid {raw:?} is not a positive integer"
        ))),
    }
}
