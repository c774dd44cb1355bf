//! The admin API without its token: every endpoint (including ones added later, e.g.
//! `inspect`) × every way of not quite presenting the token → 401, and nothing changes.

use crate::harness::Tally;
use crate::hubproc::HubProc;

const GROUP: &str = "admin";

pub async fn run(hub: &HubProc, t: &mut Tally) {
    let (_, before) = hub.admin("GET", "/modules/receiver/twin", "").await;
    let endpoints = [
        ("GET", "/health", ""),
        ("GET", "/modules", ""),
        ("GET", "/modules/receiver/env", ""),
        ("GET", "/modules/receiver/twin", ""),
        (
            "PATCH",
            "/modules/receiver/twin/desired",
            r#"{"secret":"overwritten"}"#,
        ),
        ("POST", "/modules/receiver/methods/ping?timeout=1", "null"),
        ("GET", "/upstream", ""),
        ("GET", "/modules/receiver/inspect", ""),
        ("GET", "/no/such/path", ""),
    ];
    let token = hub.token.as_str();
    let variants: Vec<(&str, Option<String>, bool)> = vec![
        ("no Authorization header", None, false),
        (
            "a wrong token",
            Some("Bearer 0000000000000000000000000000000000000000000000000000000000000000".into()),
            false,
        ),
        (
            "the token without its last character",
            Some(format!("Bearer {}", &token[..token.len() - 1])),
            false,
        ),
        (
            "the token with an extra character",
            Some(format!("Bearer {token}0")),
            false,
        ),
        (
            "the token without the Bearer scheme",
            Some(token.to_string()),
            false,
        ),
        (
            "the token as Basic credentials",
            Some(format!("Basic {token}")),
            false,
        ),
        ("the token in the query string", None, true),
    ];
    for (method, path, body) in endpoints {
        for (how, authorization, in_query) in &variants {
            let path = if *in_query {
                let sep = if path.contains('?') { '&' } else { '?' };
                format!("{path}{sep}token={token}&access_token={token}")
            } else {
                path.to_string()
            };
            let (status, answer) = hub
                .admin_request(method, &path, authorization.as_deref(), body)
                .await;
            t.attack(
                GROUP,
                &format!("{method} {path} with {how}"),
                status == 401,
                format!("{status} {answer}"),
            );
        }
    }
    let (status, after) = hub.admin("GET", "/modules/receiver/twin", "").await;
    t.attack(
        GROUP,
        "unauthenticated PATCH changed the twin",
        status == 200 && before == after,
        format!("before {before}, after {after}"),
    );
}
