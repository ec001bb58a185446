//! `GET /_emulator/ui`: the web inspector (issue 14). One HTML page with its script and styles,
//! built into the binary (`ui.html`), so it needs no front-end build and works offline. It
//! polls the JSON endpoints of the control plane (state, requests, callbacks, faults, clock)
//! every 1.5 s and shows them; every value is set as text, never as HTML.
//!
//! The page itself holds no data, so it is served without the admin token (a browser cannot
//! send one when navigating); its fetches send `Authorization: Bearer` with the token the user
//! pastes into the page, kept in `sessionStorage`. The Host check of the guard still applies.

use axum::http::header;
use axum::response::IntoResponse;

/// The page.
const PAGE: &str = include_str!("ui.html");

/// What the page may do: its own inline script and styles, fetches to this origin only, no
/// framing (the page has a reset button).
const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                   connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

/// Serves the inspector page.
pub async fn get() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PAGE,
    )
}
