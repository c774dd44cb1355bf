//! The runtime's admin API requests:
//!
//! | Request | Answer |
//! |---|---|
//! | `GET /runtime` | the `$edgeAgent` reported properties (`modules.{m}.runtimeStatus`, `exitCode`, `lastStartTimeUtc`, …) |
//! | `GET /modules/{m}/logs[?tail=n][&follow=true]` | the module's output as text; `follow` keeps streaming |
//!
//! A hub started without `--run-modules` answers both with 404 and says so.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};

use super::{logs, RuntimeSlot};
use crate::methods::http_util::{json_response, message_response, ChannelBody, ResponseBody};

/// How often a follower looks for new output.
const FOLLOW_POLL: Duration = Duration::from_millis(200);

const NOT_RUNNING: &str =
    "this hub does not run the deployment's modules; start it with 'edgemodule-hub up' or 'edgemodule-hub serve --run-modules'";

/// `GET /runtime`.
pub fn runtime(slot: &RuntimeSlot) -> Response<ResponseBody> {
    match slot.get() {
        Some(view) => json_response(StatusCode::OK, &view.reported()),
        None => message_response(StatusCode::NOT_FOUND, NOT_RUNNING),
    }
}

/// `GET /modules/{m}/logs?tail=n&follow=true`.
pub fn module_logs(
    slot: &RuntimeSlot,
    module: &str,
    tail: Option<&str>,
    follow: bool,
) -> Response<ResponseBody> {
    let Some(view) = slot.get() else {
        return message_response(StatusCode::NOT_FOUND, NOT_RUNNING);
    };
    let Some(path) = view.log_path(module) else {
        return message_response(
            StatusCode::NOT_FOUND,
            &format!("not found: module '{module}'"),
        );
    };
    let tail = match tail.map(str::parse::<usize>) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            return message_response(StatusCode::BAD_REQUEST, "tail must be a number of lines")
        }
    };
    let (text, mut offset) = match logs::tail(&path, tail) {
        Ok(read) => read,
        Err(e) => {
            return message_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("reading {}: {e}", path.display()),
            )
        }
    };
    let (tx, body) = ChannelBody::new(16);
    tokio::spawn(async move {
        if !text.is_empty() && tx.send(Bytes::from(text)).await.is_err() {
            return;
        }
        if !follow {
            return;
        }
        loop {
            tokio::select! {
                () = tokio::time::sleep(FOLLOW_POLL) => {}
                () = tx.closed() => return,
            }
            let path = path.clone();
            let read = tokio::task::spawn_blocking(move || logs::read_from(&path, offset)).await;
            let Ok(Ok((new, next))) = read else {
                return;
            };
            offset = next;
            if !new.is_empty() && tx.send(Bytes::from(new)).await.is_err() {
                return;
            }
        }
    });
    let mut response = Response::new(body.boxed());
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
