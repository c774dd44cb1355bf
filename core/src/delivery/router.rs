//! The one router for named deliveries (inputs, methods): a consumer per name, a default
//! consumer for every name without its own, and the item handed back when there is neither
//! (the family decides what that means). A consumer is a stream (the Rust stream API) or a
//! handler lane; both are fed by the same routing.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::lane::{Lane, Runner};

/// Something routed by name.
pub(crate) trait Keyed {
    /// The input or method name.
    fn key(&self) -> &str;
}

enum Consumer<R: Runner> {
    Stream(mpsc::UnboundedSender<R::Item>),
    Handler(Arc<Lane<R>>),
}

/// Named and default consumers of one family (guarded by the family's lock).
pub(crate) struct Router<R: Runner> {
    named: HashMap<String, Consumer<R>>,
    default: Option<Consumer<R>>,
    closed: bool,
}

impl<R: Runner> Default for Router<R> {
    fn default() -> Self {
        Router {
            named: HashMap::new(),
            default: None,
            closed: false,
        }
    }
}

/// Hands `item` to `consumer`; gives it back if the consumer is gone.
fn offer<R: Runner>(
    consumer: &Consumer<R>,
    item: R::Item,
    runtime: &tokio::runtime::Handle,
) -> Result<(), R::Item> {
    match consumer {
        Consumer::Stream(tx) => tx.send(item).map_err(|mpsc::error::SendError(back)| back),
        Consumer::Handler(lane) => {
            lane.push(item, runtime);
            Ok(())
        }
    }
}

impl<R: Runner> Router<R>
where
    R::Item: Keyed,
{
    /// Routes `item` to its name's consumer, else the default one. `Err(item)` when neither
    /// exists (or the router is closed).
    pub(crate) fn route(
        &mut self,
        item: R::Item,
        runtime: &tokio::runtime::Handle,
    ) -> Result<(), R::Item> {
        if self.closed {
            return Err(item);
        }
        let mut item = item;
        if let Some(consumer) = self.named.get(item.key()) {
            match offer(consumer, item, runtime) {
                Ok(()) => return Ok(()),
                Err(back) => {
                    // The stream was dropped: forget it.
                    self.named.remove(back.key());
                    item = back;
                }
            }
        }
        if let Some(consumer) = &self.default {
            match offer(consumer, item, runtime) {
                Ok(()) => return Ok(()),
                Err(back) => {
                    self.default = None;
                    item = back;
                }
            }
        }
        Err(item)
    }

    /// True when some consumer (named or default) is registered and alive.
    pub(crate) fn has_consumers(&mut self) -> bool {
        self.named.retain(|_, c| match c {
            Consumer::Stream(tx) => !tx.is_closed(),
            Consumer::Handler(_) => true,
        });
        if matches!(&self.default, Some(Consumer::Stream(tx)) if tx.is_closed()) {
            self.default = None;
        }
        !self.named.is_empty() || self.default.is_some()
    }

    /// Makes a stream the consumer of `key` (`None`: the default consumer).
    pub(crate) fn set_stream(&mut self, key: Option<&str>, tx: mpsc::UnboundedSender<R::Item>) {
        self.put(key, Consumer::Stream(tx));
    }

    /// Makes `runner` the handler of `key`; an existing handler lane is kept (its queued
    /// items go to the new handler, in order).
    pub(crate) fn set_handler(&mut self, key: Option<&str>, runner: R) {
        let existing = match key {
            Some(name) => self.named.get(name),
            None => self.default.as_ref(),
        };
        if let Some(Consumer::Handler(lane)) = existing {
            lane.set_runner(runner);
            return;
        }
        self.put(key, Consumer::Handler(Lane::new(runner)));
    }

    fn put(&mut self, key: Option<&str>, consumer: Consumer<R>) {
        if self.closed {
            return;
        }
        match key {
            Some(name) => {
                self.named.insert(name.to_string(), consumer);
            }
            None => self.default = Some(consumer),
        }
    }

    /// Removes the consumer of `key`. A handler lane finishes what it already queued.
    pub(crate) fn remove(&mut self, key: Option<&str>) {
        match key {
            Some(name) => {
                self.named.remove(name);
            }
            None => self.default = None,
        }
    }

    /// Stops routing; returns what handler lanes still had queued, to be dropped outside the
    /// lock.
    pub(crate) fn close(&mut self) -> Vec<R::Item> {
        self.closed = true;
        let consumers = self
            .named
            .drain()
            .map(|(_, c)| c)
            .chain(self.default.take());
        let mut queued = Vec::new();
        for consumer in consumers {
            if let Consumer::Handler(lane) = consumer {
                queued.extend(lane.take_queued());
            }
        }
        queued
    }

    /// True once closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }
}
