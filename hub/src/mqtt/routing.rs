//! From a message to its store targets (routes evaluated once, sinks resolved to endpoint
//! ids and live mailboxes), and the hand-off to mailboxes and the upstream hook once the
//! store has committed.

use std::collections::HashMap;
use std::sync::Arc;

use super::mailbox::{LiveItem, Mailbox};
use crate::message::HubMessage;
use crate::metrics::HubMetrics;
use crate::routes::{Route, Sink};
use crate::store::{self, UPSTREAM_ENDPOINT};

/// Called for every message durably stored for `$upstream`.
pub type UpstreamHook = Arc<dyn Fn(&HubMessage) + Send + Sync>;

/// Who hears about a stored message.
#[derive(Clone)]
pub enum LiveTarget {
    /// A module input: its mailbox and endpoint index.
    Module(Arc<Mailbox>, usize),
    /// The upstream hook.
    Upstream,
}

/// A message and where it is stored.
pub struct Routed {
    /// The message.
    pub message: Arc<HubMessage>,
    /// (endpoint, priority, expires_at) for the store.
    pub targets: Vec<store::Target>,
    /// Same order as `targets`.
    pub live: Vec<LiveTarget>,
}

/// The routing table: routes plus every sink resolved once.
pub struct Router {
    routes: Vec<Route>,
    sinks: HashMap<Sink, (String, LiveTarget)>,
    mailboxes: HashMap<String, Arc<Mailbox>>,
    default_ttl_secs: i64,
}

impl Router {
    /// Builds mailboxes for `modules` and for every module a route delivers to.
    pub fn new(routes: Vec<Route>, modules: &[String], default_ttl_secs: i64) -> Router {
        let mut inputs: HashMap<String, Vec<String>> =
            modules.iter().map(|m| (m.clone(), Vec::new())).collect();
        for route in &routes {
            if let Sink::Module { module_id, input } = &route.sink {
                let list = inputs.entry(module_id.clone()).or_default();
                if !list.contains(input) {
                    list.push(input.clone());
                }
            }
        }
        let mailboxes: HashMap<String, Arc<Mailbox>> = inputs
            .into_iter()
            .map(|(m, list)| {
                let mailbox = Arc::new(Mailbox::new(&m, list));
                (m, mailbox)
            })
            .collect();
        let mut sinks = HashMap::new();
        for route in &routes {
            let resolved = match &route.sink {
                Sink::Upstream => (UPSTREAM_ENDPOINT.to_string(), LiveTarget::Upstream),
                Sink::Module { module_id, input } => {
                    let Some(mailbox) = mailboxes.get(module_id) else {
                        continue;
                    };
                    let Some(index) = mailbox.input_index(input) else {
                        continue;
                    };
                    (
                        mailbox.endpoints[index].clone(),
                        LiveTarget::Module(mailbox.clone(), index),
                    )
                }
            };
            sinks.insert(route.sink.clone(), resolved);
        }
        Router {
            routes,
            sinks,
            mailboxes,
            default_ttl_secs,
        }
    }

    /// Every (store endpoint id, priority) a route feeds, for queue-length series that
    /// read 0 before the first message.
    pub fn queue_endpoints(&self) -> Vec<(String, u32)> {
        let mut out: Vec<(String, u32)> = Vec::new();
        for route in &self.routes {
            if let Some((endpoint, _)) = self.sinks.get(&route.sink) {
                let key = (endpoint.clone(), route.priority);
                if !out.contains(&key) {
                    out.push(key);
                }
            }
        }
        out
    }

    /// The mailbox of a module (every module in the manifest has one).
    pub fn mailbox(&self, module_id: &str) -> Option<&Arc<Mailbox>> {
        self.mailboxes.get(module_id)
    }

    /// Evaluates the routes; `None` when no route matches.
    pub fn route(&self, message: HubMessage, now_unix: u64) -> Option<Routed> {
        let matched = crate::routes::evaluate(&self.routes, &message);
        if matched.is_empty() {
            return None;
        }
        let mut targets = Vec::with_capacity(matched.len());
        let mut live = Vec::with_capacity(matched.len());
        for (sink, priority, ttl) in matched {
            let Some((endpoint, target)) = self.sinks.get(&sink) else {
                continue;
            };
            let expires_at = if ttl > 0 {
                Some(now_unix.saturating_add(u64::from(ttl)))
            } else if self.default_ttl_secs >= 0 {
                Some(now_unix.saturating_add(self.default_ttl_secs as u64))
            } else {
                None
            };
            targets.push((endpoint.clone(), priority, expires_at));
            live.push(target.clone());
        }
        Some(Routed {
            message: Arc::new(message),
            targets,
            live,
        })
    }
}

/// After the commit: hands each stored message to its mailboxes and the upstream hook.
pub fn fan_out(batch: &[Routed], seqs: &[Vec<i64>], upstream: &UpstreamHook, metrics: &HubMetrics) {
    for (routed, seqs) in batch.iter().zip(seqs) {
        for ((target, seq), (_, priority, _)) in routed.live.iter().zip(seqs).zip(&routed.targets) {
            match target {
                LiveTarget::Module(mailbox, endpoint) => mailbox.push(LiveItem {
                    endpoint: *endpoint,
                    seq: *seq,
                    priority: *priority,
                    message: routed.message.clone(),
                }),
                LiveTarget::Upstream => {
                    metrics.upstream_sent(&routed.message, *priority);
                    upstream(&routed.message);
                }
            }
        }
    }
}
