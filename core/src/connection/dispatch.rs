//! Routes each incoming PUBLISH to inputs, twin, methods or user topics, after giving it its
//! place in the acknowledgement order. Runs on the connection task: it only hands things
//! over, never waits and never runs application code.

use std::sync::Arc;

use rumqttc::{Publish, QoS};

use crate::connection::shared::{lock, Shared};
use crate::delivery::acks::{Arrival, Ticket};
use crate::inputs::{self, InputMessage};
use crate::message::Message;
use crate::protocol::{property_bag, topics};
use crate::{methods, twin, user_topics};

const TWIN_RESPONSE_PREFIX: &str = "$iothub/twin/res/";
const DESIRED_PREFIX: &str = "$iothub/twin/PATCH/properties/desired/";
const METHOD_PREFIX: &str = "$iothub/methods/POST/";
const DENIED_PREFIX: &str = topics::PUBLISH_DENIED_PREFIX;

/// Handles one incoming PUBLISH.
pub(crate) fn incoming(shared: &Arc<Shared>, publish: Publish) {
    let topic = publish.topic.as_str();
    if let Some(parsed) = topics::parse_input_topic(topic) {
        let id = &shared.identity;
        if parsed.device_id == id.device_id && Some(parsed.module_id) == id.module_id.as_deref() {
            // Acknowledged once the application processed it.
            let Some(ticket) = place(shared, &publish) else {
                return;
            };
            let message = decode(parsed.bag, &publish);
            let input = parsed.input_name;
            inputs::deliver(
                shared,
                InputMessage::received(message, input, ticket, Arc::clone(shared)),
            );
            return;
        }
    }
    let protocol = [
        TWIN_RESPONSE_PREFIX,
        DESIRED_PREFIX,
        METHOD_PREFIX,
        DENIED_PREFIX,
    ]
    .iter()
    .any(|p| topic.starts_with(p));
    if !protocol {
        // A user topic: acknowledged once its subscribers are done with it.
        let Some(ticket) = place(shared, &publish) else {
            return;
        };
        user_topics::on_message(shared, publish.topic, publish.payload, ticket);
        return;
    }
    // Taken over by the client right away: acknowledged on arrival (in order).
    if publish.qos != QoS::AtMostOnce && !shared.register_done(publish.pkid, publish.dup) {
        return;
    }
    if topic.starts_with(TWIN_RESPONSE_PREFIX) {
        twin::on_response(shared, topic, &publish.payload);
    } else if topic.starts_with(DESIRED_PREFIX) {
        twin::on_desired_patch(shared, topic, &publish.payload);
    } else if topic.starts_with(METHOD_PREFIX) {
        methods::on_request(shared, topic, &publish.payload);
    } else if let Some((pkid, denied)) = denial(&publish) {
        if !lock(&shared.outbox).tracker.deny(pkid, denied) {
            tracing::debug!(pkid, "denial notice for no publish in flight");
        }
    }
}

/// The acknowledgement ticket of a QoS 1 PUBLISH (`Some(None)` at QoS 0), or `None` for a
/// DUP re-send of a message still being processed.
fn place(shared: &Shared, publish: &Publish) -> Option<Option<Ticket>> {
    if publish.qos == QoS::AtMostOnce {
        return Some(None);
    }
    match shared.register_incoming(publish.pkid, publish.dup) {
        Arrival::New(ticket) => Some(Some(ticket)),
        Arrival::Duplicate => {
            tracing::debug!(pkid = publish.pkid, "DUP re-send of a message in progress");
            None
        }
    }
}

/// The message of an input PUBLISH.
fn decode(bag: &str, publish: &Publish) -> Message {
    let pairs = match property_bag::decode(bag) {
        Ok(pairs) => pairs,
        Err(e) => {
            // Deliver the body anyway: dropping it would lose the message for good.
            tracing::warn!(topic = publish.topic, "undecodable property bag: {e}");
            Vec::new()
        }
    };
    Message::from_bag(pairs, publish.payload.to_vec())
}

/// A denial notice (`$edgemodule/denied/{pkid}`, payload: the topic): the packet id and topic
/// of the publish the hub's policy refused. The hub closes the connection right after it, so
/// the notice may also be among the last packets read before the connection error.
pub(crate) fn denial(publish: &Publish) -> Option<(u16, &str)> {
    let pkid = topics::parse_publish_denied_topic(&publish.topic)?;
    match std::str::from_utf8(&publish.payload) {
        Ok(topic) => Some((pkid, topic)),
        Err(_) => {
            tracing::debug!(topic = publish.topic, "ignoring a malformed denial notice");
            None
        }
    }
}
