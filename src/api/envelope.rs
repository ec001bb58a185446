//! The vendor envelope: HTTP 200, `application/json`, `ActionStatus`, `ErrorInfo`, `ErrorCode`
//! first and in that order, then the command's own fields.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::VendorError;

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Envelope<'a, T: Serialize> {
    ActionStatus: &'a str,
    ErrorInfo: &'a str,
    ErrorCode: u32,
    #[serde(flatten)]
    body: T,
}

/// No fields beyond the envelope.
#[derive(Serialize)]
pub struct NoFields {}

fn json_response(bytes: Vec<u8>) -> Response {
    let mut resp = (StatusCode::OK, bytes).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn encode<T: Serialize>(status: &str, info: &str, code: u32, body: T) -> Response {
    let env = Envelope {
        ActionStatus: status,
        ErrorInfo: info,
        ErrorCode: code,
        body,
    };
    match serde_json::to_vec(&env) {
        Ok(bytes) => json_response(bytes),
        Err(_) => json_response(
            br#"{"ActionStatus":"FAIL","ErrorInfo":"internal error: the answer could not be encoded","ErrorCode":10002}"#.to_vec(),
        ),
    }
}

/// A successful answer with the command's fields.
pub fn ok<T: Serialize>(body: T) -> Response {
    encode("OK", "", 0, body)
}

impl IntoResponse for VendorError {
    fn into_response(self) -> Response {
        encode("FAIL", &self.to_string(), self.code(), NoFields {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(resp: Response) -> String {
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .expect("body reads");
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    #[tokio::test]
    async fn success_starts_with_the_three_envelope_fields_in_order() {
        #[derive(Serialize)]
        struct B {
            #[serde(rename = "GroupId")]
            id: &'static str,
        }
        let resp = ok(B { id: "g" });
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(
            body_of(resp).await,
            r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"GroupId":"g"}"#
        );
    }

    #[tokio::test]
    async fn failure_is_http_200_with_fail_and_the_code() {
        let resp = VendorError::GroupNotFound("x".into()).into_response();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(
            body_of(resp).await,
            r#"{"ActionStatus":"FAIL","ErrorInfo":"group \"x\" does not exist","ErrorCode":10010}"#
        );
    }
}
