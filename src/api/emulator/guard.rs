//! Who may use the control plane (issue 11 D). It can wipe the state, install faults and read
//! every stored group, so three checks run before any `/_emulator/` endpoint but health:
//!
//! 1. with an admin token configured (`--admin-token`), `Authorization: Bearer <token>` (401);
//! 2. a request carrying an `Origin` other than the emulator's own address is refused (403): a
//!    web page in a browser on the same machine must not reach it with a simple cross-site
//!    request;
//! 3. while the emulator listens on a loopback address, a `Host` that is not a loopback name or
//!    address is refused (403): that is what a DNS-rebinding page sends.
//!
//! The inspector page (`/_emulator/ui`) skips the token check only: it holds no data, and a
//! browser cannot send a bearer token when it navigates; the page's own fetches send it.
//!
//! The vendor API is not guarded: SPEC §1 says not to route on `Host`, and real SDKs send
//! whatever headers they like.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::emulator::Shared;

/// The checks above, then the endpoint.
pub async fn guard(State(emu): State<Shared>, req: Request, next: Next) -> Response {
    if req.uri().path() == "/_emulator/health" {
        return next.run(req).await;
    }
    if let Err((status, why)) = check(&emu, req.uri().path(), req.headers()) {
        tracing::warn!(
            path = req.uri().path(),
            why,
            "control-plane request refused"
        );
        let body = serde_json::json!({ "error": why });
        return (status, axum::Json(body)).into_response();
    }
    next.run(req).await
}

fn check(emu: &Shared, path: &str, headers: &HeaderMap) -> Result<(), (StatusCode, String)> {
    if let Some(token) = emu.admin_token.as_ref().filter(|_| path != "/_emulator/ui") {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| constant_time_eq(g.as_bytes(), token.as_bytes())) {
            return Err((
                StatusCode::UNAUTHORIZED,
                "the control plane needs Authorization: Bearer <the --admin-token value>".into(),
            ));
        }
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if emu.listens_on_loopback() && host.is_some_and(|h| !is_loopback_authority(h)) {
        return Err((
            StatusCode::FORBIDDEN,
            format!(
                "Host {:?} is not a loopback name; this emulator listens on loopback and only answers its control plane to requests addressed to it (a DNS-rebinding page would send another Host)",
                host.unwrap_or("")
            ),
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let own = host.is_some_and(|h| {
            origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                .is_some_and(|authority| authority.eq_ignore_ascii_case(h))
        });
        if !own {
            return Err((
                StatusCode::FORBIDDEN,
                format!(
                    "Origin {origin:?} is not this emulator: the control plane refuses requests from other web pages"
                ),
            ));
        }
    }
    Ok(())
}

/// Whether `authority` (`host[:port]`) names this machine: `localhost` (and `*.localhost`),
/// an address in 127.0.0.0/8, or `[::1]`.
pub fn is_loopback_authority(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_authorities_are_recognised() {
        for ok in [
            "127.0.0.1:8269",
            "127.0.0.1",
            "127.5.6.7:1",
            "localhost:80",
            "LOCALHOST",
            "app.localhost:3000",
            "[::1]:8269",
            "[::1]",
        ] {
            assert!(is_loopback_authority(ok), "{ok}");
        }
        for bad in [
            "evil.example:8269",
            "10.0.0.1",
            "192.168.1.2:80",
            "[::2]:1",
            "localhost.evil.com",
            "",
        ] {
            assert!(!is_loopback_authority(bad), "{bad}");
        }
    }

    #[test]
    fn token_comparison_needs_the_whole_token() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
    }
}
