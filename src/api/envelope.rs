//! The vendor envelope: HTTP 200, `application/json`, `ActionStatus`, `ErrorInfo`, `ErrorCode`
//! first and in that order, then the command's own fields.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::VendorError;

/// No fields beyond the envelope.
#[derive(Serialize)]
pub struct NoFields {}

/// The answer when an answer cannot be encoded (never expected: every body is a plain struct).
const ENCODE_FAILED: &[u8] = br#"{"ActionStatus":"FAIL","ErrorInfo":"internal error: the answer could not be encoded","ErrorCode":10002}"#;

fn json_response(bytes: Vec<u8>) -> Response {
    let mut resp = (StatusCode::OK, bytes).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// The vendor's answer-size limit (10018 beyond: get_group_info, get_joined_group_list), taken
/// as 1 MiB, the same size the common layer takes as the largest request body. The vendor's
/// text for 10018 is "the answer is longer than the largest packet (1MB); ask for less per
/// request" (its error-message table, web.sdk.qcloud.com/im/download/error-message/v3/0.0.4/
/// tim-error-message.txt), a limit of every group read, so get_group_info keeps it too.
pub const ANSWER_MAX_BYTES: usize = crate::api::common::MAX_BODY_BYTES;

/// The bytes every successful answer opens with; the command's fields are spliced in after.
const OK_PREFIX: &[u8] = br#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0"#;

/// A successful answer with the command's fields. The envelope is written as fixed bytes and
/// the fields are spliced in after it, which is cheaper than serde's flattening.
pub fn ok<T: Serialize>(body: T) -> Response {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(OK_PREFIX);
    let written = serde_json::to_writer(&mut out, &body).is_ok();
    finish_ok(out, written)
}

/// [`ok`], or `None` when the whole answer would be longer than `max` bytes (the answer-size
/// limit behind 10018, spec §17.3). Writing stops as soon as the limit is passed, so a huge
/// answer costs no more than `max` bytes.
pub fn ok_at_most<T: Serialize>(body: T, max: usize) -> Option<Response> {
    let mut w = Capped {
        out: Vec::with_capacity(128),
        max,
        over: false,
    };
    w.out.extend_from_slice(OK_PREFIX);
    let written = serde_json::to_writer(&mut w, &body).is_ok();
    (!w.over).then(|| finish_ok(w.out, written))
}

/// A writer that refuses to grow past `max` bytes.
struct Capped {
    out: Vec<u8>,
    max: usize,
    over: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len().saturating_add(buf.len()) > self.max {
            self.over = true;
            return Err(std::io::Error::other("the answer is over its size limit"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Splices the fields written after [`OK_PREFIX`] into the envelope.
fn finish_ok(mut out: Vec<u8>, written: bool) -> Response {
    let start = OK_PREFIX.len();
    if !written || out.get(start) != Some(&b'{') {
        return json_response(ENCODE_FAILED.to_vec());
    }
    if out.len() == start + 2 {
        out.truncate(start); // the body was `{}`: nothing to splice
        out.push(b'}');
    } else {
        out[start] = b',';
    }
    json_response(out)
}

/// A failed answer: `FAIL`, the ErrorInfo and the ErrorCode.
fn fail(info: &str, code: u32) -> Response {
    let mut out = Vec::with_capacity(96 + info.len());
    out.extend_from_slice(br#"{"ActionStatus":"FAIL","ErrorInfo":"#);
    if serde_json::to_writer(&mut out, info).is_err() {
        return json_response(ENCODE_FAILED.to_vec());
    }
    out.extend_from_slice(br#","ErrorCode":"#);
    out.extend_from_slice(code.to_string().as_bytes());
    out.push(b'}');
    json_response(out)
}

impl IntoResponse for VendorError {
    fn into_response(self) -> Response {
        fail(&self.to_string(), self.code())
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
    async fn an_answer_without_fields_is_just_the_envelope() {
        assert_eq!(
            body_of(ok(NoFields {})).await,
            r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}"#
        );
    }

    #[tokio::test]
    async fn a_capped_answer_passes_at_its_limit_and_not_one_byte_over() {
        #[derive(Serialize)]
        struct B {
            #[serde(rename = "GroupId")]
            id: String,
        }
        let body = || B {
            id: "x".repeat(100),
        };
        let whole = body_of(ok(body())).await.len();
        let at = ok_at_most(body(), whole).expect("exactly at the limit fits");
        assert_eq!(body_of(at).await.len(), whole);
        assert!(ok_at_most(body(), whole - 1).is_none(), "one byte over");
        assert!(ok_at_most(NoFields {}, 10).is_none());
    }

    #[tokio::test]
    async fn error_info_is_escaped_as_a_json_string() {
        let e = VendorError::InvalidParameter("Name \"群\"\n\u{1} too long".into());
        let text = body_of(e.into_response()).await;
        let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(v["ErrorInfo"], "Name \"群\"\n\u{1} too long");
        assert_eq!(v["ErrorCode"], 10004);
        assert!(
            text.starts_with(r#"{"ActionStatus":"FAIL","ErrorInfo":"#),
            "{text}"
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
