//! Packets from the client: PUBLISH (telemetry, twin, method responses, user topics),
//! SUBSCRIBE/UNSUBSCRIBE, PUBACK of deliveries, PINGREQ, DISCONNECT.

use bytes::{BufMut, Bytes, BytesMut};
use edgemodule::protocol::property_bag;
use rumqttc::{
    Packet, Publish, QoS, SubAck, Subscribe, SubscribeReasonCode, UnsubAck, Unsubscribe,
};

use super::access::{classify_publish, PublishTarget};
use super::codec::{read_packet, write_packet, write_publish, Frame, ReadError, MAX_MESSAGE_SIZE};
use super::connect::packet_name;
use super::connection::Conn;
use super::inflight::InflightEntry;
use super::session_state::{self, authorize_subscription};
use super::sessions::{Outbound, Subscription};
use crate::authz::Operation;
use edgemodule::protocol::topics::TwinRequest;

/// Twin response topics of a successful GET and PATCH (protocol.md §5).
const TWIN_OK: &str = "$iothub/twin/res/200/";
const TWIN_NO_CONTENT: &str = "$iothub/twin/res/204/";
use crate::message::HubMessage;

impl Conn {
    /// Handles every complete packet in `rbuf`. `Err` carries the reason to close.
    pub fn process_input(&mut self, rbuf: &mut BytesMut) -> Result<(), String> {
        loop {
            let packet = match read_packet(rbuf) {
                Ok(Frame::Packet(p)) => p,
                Ok(Frame::Incomplete) => return Ok(()),
                Err(ReadError::TooLarge(n)) => {
                    tracing::warn!(client_id = %self.client_id, size = n, "packet larger than the 256 KiB message limit, closing");
                    return Err(format!(
                        "packet of {n} bytes exceeds the message size limit"
                    ));
                }
                Err(ReadError::Malformed(e)) => {
                    tracing::warn!(client_id = %self.client_id, error = %e, "malformed packet, closing");
                    return Err(format!("malformed packet: {e}"));
                }
            };
            self.handle_packet(packet)?;
        }
    }

    fn handle_packet(&mut self, packet: Packet) -> Result<(), String> {
        match packet {
            Packet::Publish(p) => {
                self.count_publish(p.dup);
                self.on_publish(p)
            }
            Packet::PubAck(ack) => {
                self.on_puback(ack.pkid);
                Ok(())
            }
            Packet::Subscribe(s) => {
                self.on_subscribe(s);
                Ok(())
            }
            Packet::Unsubscribe(u) => {
                self.on_unsubscribe(u);
                Ok(())
            }
            Packet::PingReq => {
                self.wbuf.put_u8(0xD0);
                self.wbuf.put_u8(0x00);
                Ok(())
            }
            Packet::Disconnect => Err("client sent DISCONNECT".to_string()),
            other => {
                let name = packet_name(&other);
                tracing::warn!(client_id = %self.client_id, packet = name, "unexpected packet, closing");
                Err(format!("unexpected {name}"))
            }
        }
    }

    fn on_publish(&mut self, p: Publish) -> Result<(), String> {
        if p.qos == QoS::ExactlyOnce {
            tracing::warn!(client_id = %self.client_id, topic = %p.topic, "QoS 2 is not supported, closing");
            return Err("QoS 2 publish".to_string());
        }
        let (device_id, module_id) = (
            self.module.device_id.as_str(),
            self.module.module_id.as_str(),
        );
        match classify_publish(&p.topic, device_id, module_id) {
            PublishTarget::Telemetry { bag } => {
                let pairs = property_bag::decode(bag).map_err(|e| {
                    tracing::warn!(client_id = %self.client_id, topic = %p.topic, error = %e, "malformed property bag, closing");
                    format!("malformed property bag: {e}")
                })?;
                let size = p.payload.len()
                    + pairs
                        .iter()
                        .map(|(k, v)| k.len() + v.as_ref().map_or(0, String::len))
                        .sum::<usize>();
                if size > MAX_MESSAGE_SIZE {
                    tracing::warn!(client_id = %self.client_id, size, "message larger than 256 KiB, closing");
                    return Err(format!("message of {size} bytes exceeds the 256 KiB limit"));
                }
                let message =
                    HubMessage::from_wire(device_id, Some(module_id), pairs, p.payload.to_vec());
                let metrics = &self.shared.metrics;
                let handles = self
                    .sender_metrics
                    .resolve(metrics, &self.client_id, &message);
                let size = handles.map_or(0, |_| message.size_bytes());
                let routed = self.shared.router.route(message, super::now_unix());
                if let Some(handles) = handles {
                    self.sender_metrics.received(
                        metrics,
                        &self.client_id,
                        handles,
                        size,
                        routed.is_some(),
                    );
                }
                self.batch_routed.extend(routed);
            }
            PublishTarget::Twin => {
                let response = self
                    .shared
                    .handler()
                    .and_then(|h| h.twin_request(module_id, &p.topic, &p.payload));
                if let Some((topic, payload)) = response {
                    self.count_twin_operation(&p.topic, &topic);
                    self.publish_to_self(topic, &payload, p.qos);
                }
            }
            PublishTarget::MethodResponse => {
                if let Some(h) = self.shared.handler() {
                    h.method_response(module_id, &p.topic, &p.payload);
                }
            }
            PublishTarget::User => {
                if p.payload.len() > MAX_MESSAGE_SIZE {
                    tracing::warn!(client_id = %self.client_id, size = p.payload.len(), "message larger than 256 KiB, closing");
                    return Err("message exceeds the 256 KiB limit".to_string());
                }
                if !self.shared.policy.is_allowed(
                    &self.identity,
                    &self.client_id,
                    device_id,
                    module_id,
                    Operation::Publish,
                    &p.topic,
                ) {
                    tracing::warn!(client_id = %self.client_id, topic = %p.topic, "publish not authorized, closing");
                    self.notify_denied(&p);
                    return Err(format!("publish to {} not authorized", p.topic));
                }
                self.forward_user_message(&p);
            }
            PublishTarget::Refused(why) => {
                tracing::warn!(client_id = %self.client_id, topic = %p.topic, reason = why, "publish not authorized, closing");
                return Err(format!("publish to {} not authorized: {why}", p.topic));
            }
        }
        if p.qos == QoS::AtLeastOnce {
            self.batch_pkids.push(p.pkid);
        }
        Ok(())
    }

    /// Before closing for a QoS 1 user-topic publish the broker policy denies (as the IoT
    /// Edge 1.2 broker does, without a reason: MQTT 3.1.1 has no negative PUBACK), tells the
    /// client which one, so edgemodule can fail it with UNAUTHORIZED instead of re-sending
    /// it: a QoS 0 PUBLISH on `$edgemodule/denied/{pkid}` carrying the topic (docs/hub.md,
    /// U1). Other clients ignore it. IoT Hub topics a client may not use get no notice.
    fn notify_denied(&mut self, p: &Publish) {
        if p.qos == QoS::AtLeastOnce {
            let notice = edgemodule::protocol::topics::publish_denied_topic(p.pkid);
            write_publish(
                &mut self.wbuf,
                &notice,
                QoS::AtMostOnce,
                0,
                false,
                p.topic.as_bytes(),
            );
        }
    }

    /// `edgehub_gettwin_total` / `edgehub_reported_properties_total` for a twin request
    /// answered successfully (edgeHub counts after the operation succeeded).
    fn count_twin_operation(&self, request_topic: &str, response_topic: &str) {
        let metrics = &self.shared.metrics;
        if !metrics.is_enabled() {
            return;
        }
        let module = &self.module.module_id;
        match edgemodule::protocol::topics::parse_twin_request(request_topic) {
            Some(TwinRequest::Get { .. }) if response_topic.starts_with(TWIN_OK) => {
                metrics.get_twin(module);
            }
            Some(TwinRequest::PatchReported { .. })
                if response_topic.starts_with(TWIN_NO_CONTENT) =>
            {
                metrics.reported_properties(module);
            }
            _ => {}
        }
    }

    /// A response to this client's own request (twin), if it subscribed to it.
    fn publish_to_self(&mut self, topic: String, payload: &[u8], request_qos: QoS) {
        let Some(granted) = self.handle.matching_qos(&topic) else {
            tracing::debug!(client_id = %self.client_id, %topic, "response not delivered: no matching subscription");
            return;
        };
        let qos = if request_qos == QoS::AtLeastOnce && granted == QoS::AtLeastOnce {
            QoS::AtLeastOnce
        } else {
            QoS::AtMostOnce
        };
        let pkid = match qos {
            QoS::AtLeastOnce => match self.inflight.allocate(InflightEntry::Other) {
                Some(id) => id,
                None => return,
            },
            _ => 0,
        };
        write_publish(&mut self.wbuf, &topic, qos, pkid, false, payload);
    }

    /// IoT Edge 1.2 broker pub/sub: every client with a matching subscription gets a copy
    /// (overflow policy: `user_forward`).
    fn forward_user_message(&mut self, p: &Publish) {
        let mut payload: Option<Bytes> = None;
        for session in self.shared.sessions.all() {
            let Some(granted) = session.matching_qos(&p.topic) else {
                continue;
            };
            let qos = if p.qos == QoS::AtLeastOnce && granted == QoS::AtLeastOnce {
                QoS::AtLeastOnce
            } else {
                QoS::AtMostOnce
            };
            // One exact-size copy for all subscribers: the received payload shares, and
            // would keep alive, the whole read buffer it arrived in.
            let payload = payload
                .get_or_insert_with(|| Bytes::copy_from_slice(&p.payload))
                .clone();
            let out = Outbound {
                topic: p.topic.clone(),
                payload,
                qos,
            };
            self.user_forwards
                .forward(&self.shared.sessions, session, out, p.qos);
        }
    }

    fn on_subscribe(&mut self, s: Subscribe) {
        let mut codes = Vec::with_capacity(s.filters.len());
        let mut accepted = Vec::new();
        for f in s.filters {
            match authorize_subscription(&self.shared, &self.subject(), &f.path) {
                Some(kind) => {
                    let qos = if f.qos == QoS::AtMostOnce {
                        QoS::AtMostOnce
                    } else {
                        QoS::AtLeastOnce
                    };
                    codes.push(SubscribeReasonCode::Success(qos));
                    accepted.push(Subscription {
                        filter: f.path,
                        qos,
                        kind,
                    });
                }
                None => {
                    tracing::warn!(client_id = %self.client_id, filter = %f.path, "subscription not authorized");
                    codes.push(SubscribeReasonCode::Failure);
                }
            }
        }
        let changed = self.change_subscriptions(|subs| {
            let mut changed = false;
            for new in accepted {
                match subs.iter_mut().find(|s| s.filter == new.filter) {
                    Some(existing) if *existing == new => {}
                    Some(existing) => {
                        *existing = new;
                        changed = true;
                    }
                    None => {
                        subs.push(new);
                        changed = true;
                    }
                }
            }
            changed
        });
        let _ = write_packet(&mut self.wbuf, &Packet::SubAck(SubAck::new(s.pkid, codes)));
        self.after_subscription_change(changed);
    }

    fn on_unsubscribe(&mut self, u: Unsubscribe) {
        let changed = self.change_subscriptions(|subs| {
            let before = subs.len();
            subs.retain(|s| !u.topics.contains(&s.filter));
            subs.len() != before
        });
        let _ = write_packet(&mut self.wbuf, &Packet::UnsubAck(UnsubAck::new(u.pkid)));
        self.after_subscription_change(changed);
    }

    fn change_subscriptions(&mut self, f: impl FnOnce(&mut Vec<Subscription>) -> bool) -> bool {
        match self.handle.subscriptions.write() {
            Ok(mut subs) => f(&mut subs),
            Err(_) => false,
        }
    }

    fn after_subscription_change(&mut self, changed: bool) {
        if !changed {
            return;
        }
        if !self.clean_session {
            let subs = self
                .handle
                .subscriptions
                .read()
                .map(|s| s.clone())
                .unwrap_or_default();
            let previous = self.last_save.take();
            self.last_save = Some(session_state::save(
                &self.shared,
                &self.client_id,
                &subs,
                previous,
            ));
        }
        self.update_delivery();
        self.shared.sessions.changed();
    }
}
