//! `GET /_emulator`: the list of control-plane endpoints (method, path, summary), and
//! `GET /_emulator/openapi.json`: the same list as an OpenAPI 3.1 document (issue 14 item 6).
//!
//! The list is hand-written data; a test reads this module's router (`mod.rs`) and fails when
//! a route or a method is missing here, so the two cannot drift apart.

use axum::Json;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// One control-plane endpoint.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Endpoint {
    /// The HTTP method.
    pub method: &'static str,
    /// The path, with `{name}` for a path parameter.
    pub path: &'static str,
    /// What it does, in one sentence.
    pub summary: &'static str,
}

const fn ep(method: &'static str, path: &'static str, summary: &'static str) -> Endpoint {
    Endpoint {
        method,
        path,
        summary,
    }
}

/// Every control-plane endpoint, in the README's order.
pub const ENDPOINTS: &[Endpoint] = &[
    ep("GET", "/_emulator", "This list of control-plane endpoints"),
    ep(
        "GET",
        "/_emulator/openapi.json",
        "The control-plane endpoints as an OpenAPI 3.1 document",
    ),
    ep(
        "GET",
        "/_emulator/health",
        "Liveness, version, uptime, profiles; no admin token needed",
    ),
    ep(
        "GET",
        "/_emulator/metrics",
        "Prometheus metrics (OpenMetrics text): requests by command and ErrorCode, latency, callbacks, stored groups, accounts, messages",
    ),
    ep(
        "POST",
        "/_emulator/reset",
        "Reset everything (state back to the seed, journal, faults, callback log, clock); ?scope=state only the state; ?sdkappid=N only that app's state",
    ),
    ep(
        "GET",
        "/_emulator/ui",
        "The web inspector: apps, groups, members, messages, journal, callbacks, faults and clock, refreshing live (HTML)",
    ),
    ep(
        "GET",
        "/_emulator/clock",
        "The emulator's clock: now_ms, now, mode, offset_ms",
    ),
    ep(
        "POST",
        "/_emulator/clock",
        "Move the clock: set_ms, advance_ms or real",
    ),
    ep(
        "GET",
        "/_emulator/state",
        "The whole state as a state document",
    ),
    ep(
        "PUT",
        "/_emulator/state",
        "Replace the whole state with a state document, all or nothing",
    ),
    ep(
        "GET",
        "/_emulator/requests",
        "The request journal; filters sdkappid, command, failed=true",
    ),
    ep("DELETE", "/_emulator/requests", "Clear the request journal"),
    ep("GET", "/_emulator/faults", "The fault rules with uses left"),
    ep("POST", "/_emulator/faults", "Install a fault rule"),
    ep("DELETE", "/_emulator/faults", "Remove every fault rule"),
    ep("DELETE", "/_emulator/faults/{id}", "Remove one fault rule"),
    ep("GET", "/_emulator/callbacks", "The callback delivery log"),
    ep(
        "DELETE",
        "/_emulator/callbacks",
        "Clear the callback delivery log",
    ),
    ep(
        "GET",
        "/_emulator/apps/{sdkappid}/groups/{group_id}/messages",
        "Every stored message of a group, whatever its status",
    ),
    ep(
        "GET",
        "/_emulator/apps/{sdkappid}/groups/{group_id}/members",
        "Each member's read position, unread count, last send time and mute",
    ),
    ep(
        "GET",
        "/_emulator/apps/{sdkappid}/groups/{group_id}/notifications",
        "The latest system notifications of a group",
    ),
    ep(
        "POST",
        "/_emulator/apps/{sdkappid}/groups/{group_id}/mute",
        "Seed mutes: account and seconds, or mute_all",
    ),
    ep(
        "POST",
        "/_emulator/apps/{sdkappid}/groups/{group_id}/online",
        "Set what get_online_member_num answers",
    ),
];

/// The text after `tim-emulator --help`: examples, then the control-plane endpoints.
pub fn help_text() -> String {
    let mut out = String::from(
        "Examples:\n  \
         tim-emulator                                   serve every sdkappid on 127.0.0.1:8269\n  \
         tim-emulator --listen 127.0.0.1:0 --ready-file /tmp/tim.json   any free port; the URLs in the file\n  \
         tim-emulator --config apps.toml --state-file state.json        configured apps, state kept\n  \
         tim-emulator --no-limits --log-level debug     load tests, a line per request\n  \
         tim-emulator usersig --sdkappid 1400000000 --key KEY --identifier administrator\n\n\
         Control plane (JSON; with --admin-token every endpoint but health and /ui needs Authorization: Bearer):\n",
    );
    for e in ENDPOINTS {
        out.push_str(&format!("  {:<6} {}\n", e.method, e.path));
    }
    out.push_str("\nThe README says more about each flag and endpoint.");
    out
}

/// `GET /_emulator`.
pub async fn list() -> Json<Value> {
    Json(json!({ "endpoints": ENDPOINTS }))
}

/// `GET /_emulator/openapi.json`.
pub async fn openapi() -> Json<Value> {
    Json(document())
}

/// The OpenAPI 3.1 document of [`ENDPOINTS`]: each operation with its summary, its path
/// parameters, and a JSON (or text, for metrics) answer.
pub fn document() -> Value {
    let mut paths = Map::new();
    for e in ENDPOINTS {
        let item = paths
            .entry(e.path)
            .or_insert_with(|| json!({}))
            .as_object_mut();
        if let Some(item) = item {
            item.insert(e.method.to_ascii_lowercase(), operation(e));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "tim-emulator control plane",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Emulator-only endpoints beside the vendor API. Refusals answer {\"error\": \"...\"}. With --admin-token every endpoint but health and the inspector page needs Authorization: Bearer <token>."
        },
        "components": {"securitySchemes": {"adminToken": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
    })
}

fn operation(e: &Endpoint) -> Value {
    let params: Vec<Value> = e
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    let media = if e.path.ends_with("/metrics") {
        "application/openmetrics-text"
    } else {
        "application/json"
    };
    let mut op = json!({
        "summary": e.summary,
        "parameters": params,
        "responses": {
            "200": {"description": "done", "content": {media: {}}},
            "400": {"description": "refused: {\"error\": \"...\"}"},
        },
    });
    if e.path != "/_emulator/health"
        && let Some(o) = op.as_object_mut()
    {
        o.insert("security".into(), json!([{"adminToken": []}]));
    }
    op
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(METHOD, path)` of every route in the router source: each `.route("path", …)` and the
    /// method words (`get(`, `.post(`, …) up to the next route.
    fn routes_in(source: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for chunk in source.split(".route(").skip(1) {
            let Some(path) = chunk.split('"').nth(1) else {
                continue;
            };
            let body: String = chunk.chars().filter(|c| !c.is_whitespace()).collect();
            let body = body.split(".route_layer").next().unwrap_or("");
            for m in ["get", "post", "put", "delete", "patch"] {
                let called = body.contains(&format!("({m}(")) || body.contains(&format!(".{m}("));
                if called {
                    out.push((m.to_ascii_uppercase(), path.to_string()));
                }
            }
        }
        out
    }

    #[test]
    fn the_index_lists_every_route_of_the_router_and_no_other() {
        let mut routed = routes_in(include_str!("mod.rs"));
        let mut listed: Vec<(String, String)> = ENDPOINTS
            .iter()
            .map(|e| (e.method.to_string(), e.path.to_string()))
            .collect();
        assert!(routed.len() > 10, "the parser found the routes: {routed:?}");
        routed.sort();
        listed.sort();
        assert_eq!(listed, routed);
    }

    #[test]
    fn the_openapi_document_has_every_endpoint_with_its_path_parameters() {
        let doc = document();
        for e in ENDPOINTS {
            let op = &doc["paths"][e.path][e.method.to_ascii_lowercase()];
            assert_eq!(op["summary"], e.summary, "{} {}", e.method, e.path);
            let params = op["parameters"].as_array().map_or(0, Vec::len);
            assert_eq!(params, e.path.matches('{').count(), "{}", e.path);
        }
    }
}
