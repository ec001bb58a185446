//! The query string the vendor appends to the app's callback URL, and its signature.
//!
//! `{url}?SdkAppid=..&CallbackCommand=..&contenttype=json&ClientIP=..&OptPlatform=RESTAPI`, and
//! with a token also `RequestTime` (unix seconds) and `Sign = hex(sha256(token + RequestTime))`,
//! so a backend can tell the emulator's calls from anyone else's exactly as it would the cloud's.

use std::net::IpAddr;

use sha2::{Digest, Sha256};

/// Who a callback is about and where it goes: everything the query string needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The configured backend URL, possibly with its own query string.
    pub base_url: String,
    /// The app.
    pub sdkappid: u64,
    /// The address of the REST caller whose request caused the callback (`""` when unknown).
    pub client_ip: Option<IpAddr>,
    /// The auth token, if configured.
    pub token: Option<String>,
}

impl Target {
    /// The full URL for `command`, signed with the token at `request_time` (unix seconds).
    pub fn url(&self, command: &str, request_time: u64) -> String {
        let ip = self
            .client_ip
            .map(|ip| ip.to_canonical().to_string())
            .unwrap_or_default();
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("SdkAppid", &self.sdkappid.to_string())
            .append_pair("CallbackCommand", command)
            .append_pair("contenttype", "json")
            .append_pair("ClientIP", &ip)
            .append_pair("OptPlatform", "RESTAPI");
        if let Some(token) = &self.token {
            let time = request_time.to_string();
            q.append_pair("RequestTime", &time)
                .append_pair("Sign", &sign(token, &time));
        }
        let sep = if self.base_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{sep}{}", self.base_url, q.finish())
    }
}

/// `hex(sha256(token + request_time))`, lower-case.
pub fn sign(token: &str, request_time: &str) -> String {
    let digest = Sha256::new()
        .chain_update(token.as_bytes())
        .chain_update(request_time.as_bytes())
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(base: &str, token: Option<&str>) -> Target {
        Target {
            base_url: base.into(),
            sdkappid: 1400000000,
            client_ip: Some("127.0.0.1".parse().expect("an IP")),
            token: token.map(str::to_string),
        }
    }

    #[test]
    fn sign_is_lower_hex_sha256_of_token_then_time() {
        // sha256("abc") is a published test vector; here token "a" + time "bc".
        assert_eq!(
            sign("a", "bc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn without_a_token_the_query_carries_no_signature() {
        let url = target("http://h/cb", None).url("Group.CallbackAfterCreateGroup", 5);
        assert_eq!(
            url,
            "http://h/cb?SdkAppid=1400000000&CallbackCommand=Group.CallbackAfterCreateGroup&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI"
        );
    }

    #[test]
    fn with_a_token_the_query_ends_with_time_and_sign() {
        let url = target("http://h/cb?x=1", Some("a")).url("C", 1700000000);
        let want_sign = sign("a", "1700000000");
        assert!(
            url.starts_with("http://h/cb?x=1&SdkAppid=1400000000&"),
            "{url}"
        );
        assert!(
            url.ends_with(&format!("&RequestTime=1700000000&Sign={want_sign}")),
            "{url}"
        );
    }

    #[test]
    fn an_unknown_client_ip_is_sent_empty() {
        let mut t = target("http://h/", None);
        t.client_ip = None;
        assert!(t.url("C", 0).contains("&ClientIP=&"));
    }
}
