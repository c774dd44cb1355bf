//! Routes each incoming PUBLISH to inputs, twin, methods or user topics. Runs on the
//! connection task: it only hands things over (unbounded queues), never waits.

use std::sync::Arc;

use rumqttc::{Publish, QoS};

use crate::connection::shared::Shared;
use crate::inputs::{self, Delivery};
use crate::message::Message;
use crate::protocol::{property_bag, topics};
use crate::{methods, twin, user_topics};

const TWIN_RESPONSE_PREFIX: &str = "$iothub/twin/res/";
const DESIRED_PREFIX: &str = "$iothub/twin/PATCH/properties/desired/";
const METHOD_PREFIX: &str = "$iothub/methods/POST/";

/// Handles one incoming PUBLISH.
pub(crate) fn incoming(shared: &Arc<Shared>, publish: Publish) {
    let epoch = shared.current_epoch();
    let qos1 = publish.qos != QoS::AtMostOnce;
    if let Some(delivery) = as_input(shared, &publish, epoch) {
        // Acknowledged by the application once processed.
        inputs::deliver(shared, delivery);
        return;
    }
    // Everything else is taken over by the client right away.
    if qos1 {
        if let Err(e) = shared.send_puback(publish.pkid, epoch) {
            tracing::debug!("PUBACK not sent: {e}");
        }
    }
    let topic = publish.topic.as_str();
    if topic.starts_with(TWIN_RESPONSE_PREFIX) {
        twin::on_response(shared, topic, &publish.payload);
    } else if topic.starts_with(DESIRED_PREFIX) {
        twin::on_desired_patch(shared, topic, &publish.payload);
    } else if topic.starts_with(METHOD_PREFIX) {
        methods::on_request(shared, topic, &publish.payload);
    } else {
        user_topics::on_message(shared, publish.topic, publish.payload);
    }
}

/// The delivery for a message on one of this module's inputs.
fn as_input(shared: &Shared, publish: &Publish, epoch: u64) -> Option<Delivery> {
    let parsed = topics::parse_input_topic(&publish.topic)?;
    let id = &shared.identity;
    if parsed.device_id != id.device_id || parsed.module_id != id.module_id {
        return None;
    }
    let pairs = match property_bag::decode(parsed.bag) {
        Ok(pairs) => pairs,
        Err(e) => {
            // Deliver the body anyway: dropping it would lose the message for good.
            tracing::warn!(topic = publish.topic, "undecodable property bag: {e}");
            Vec::new()
        }
    };
    let message = Message::from_bag(pairs, publish.payload.to_vec());
    Some(Delivery {
        message,
        input: parsed.input_name,
        pkid: publish.pkid,
        qos1: publish.qos != QoS::AtMostOnce,
        epoch,
    })
}
