//! The isolation matrix: module `mallory` against the others — every topic family ×
//! publish/subscribe × another module, wildcards, reserved trees, twin reads, method
//! responses for another module's call, and spoofed system properties.

use std::time::Duration;

use edgemodule::protocol::topics;
use rumqttc::{QoS, SubscribeReasonCode};
use serde_json::{json, Value};

use crate::common::{output_topic, DEVICE, QUIET};
use crate::harness::{closed_within, delivery_properties, next_matching, Tally};
use crate::hubproc::HubProc;

const GROUP: &str = "isolation";

pub async fn run(hub: &HubProc, t: &mut Tally) {
    subscriptions(hub, t).await;
    publishes(hub, t).await;
    twin_reads(hub, t).await;
    method_response_for_another_module(hub, t).await;
    spoofed_system_properties(hub, t).await;
}

/// Filters mallory must not get: other modules' inputs and telemetry, wildcards over
/// everyone, reserved trees, user topics the policy does not grant.
async fn subscriptions(hub: &HubProc, t: &mut Tally) {
    let filters = [
        format!("devices/{DEVICE}/modules/receiver/inputs/#"),
        format!("devices/{DEVICE}/modules/receiver/#"),
        format!("devices/{DEVICE}/modules/sender/inputs/#"),
        format!("devices/{DEVICE}/modules/receiver/inputs/in1"),
        format!("devices/{DEVICE}/modules/receiver/messages/events/#"),
        format!("devices/{DEVICE}/modules/+/inputs/#"),
        format!("devices/{DEVICE}/modules/+/#"),
        format!("devices/{DEVICE}/#"),
        "devices/+/modules/receiver/inputs/#".to_string(),
        "devices/#".to_string(),
        "devices/Edge-Device/modules/receiver/inputs/#".to_string(),
        "DEVICES/edge-device/modules/receiver/inputs/#".to_string(),
        "#".to_string(),
        "+/#".to_string(),
        "+".to_string(),
        "+/+/+/+/+/#".to_string(),
        "$iothub/#".to_string(),
        "$iothub/+/#".to_string(),
        "$iothub/methods/POST/receiver/#".to_string(),
        "$iothub/twin/PATCH/properties/desired/receiver/#".to_string(),
        "$SYS/#".to_string(),
        "$edgeHub/#".to_string(),
        "$upstream/#".to_string(),
        "alerts/#".to_string(),
        "alerts/+".to_string(),
        format!("devices/{DEVICE}/modules/mallory/inputs/#/x"),
    ];
    let mut mallory = hub.connect("mallory", true).await;
    for filter in &filters {
        let codes = mallory
            .subscribe(&[(filter.as_str(), QoS::AtLeastOnce)])
            .await;
        let refused = codes == vec![SubscribeReasonCode::Failure];
        t.attack(
            GROUP,
            &format!("subscribe {filter}"),
            refused,
            format!("{codes:?}"),
        );
    }
    // Nothing of the others' traffic reaches mallory.
    let mut sender = hub.connect("sender", true).await;
    sender
        .publish_acked(&output_topic("sender", "out1", &[]), b"private")
        .await;
    sender.publish_acked("alerts/fire", b"private alert").await;
    let leaked = mallory.next_publish(QUIET).await;
    t.attack(
        GROUP,
        "eavesdrop on sender's messages after refused subscriptions",
        leaked.is_none(),
        format!("{leaked:?}"),
    );
    mallory.disconnect().await;
    sender.disconnect().await;
}

/// Topics mallory must not publish on; each one closes the connection without a PUBACK,
/// and nothing reaches the receiver.
async fn publishes(hub: &HubProc, t: &mut Tally) {
    let topics = [
        format!("devices/{DEVICE}/modules/receiver/messages/events/"),
        format!("devices/{DEVICE}/modules/sender/messages/events/%24.on=out1"),
        format!("devices/{DEVICE}/modules/Mallory/messages/events/"),
        format!("devices/{DEVICE}/messages/events/"),
        "devices/other-device/modules/mallory/messages/events/".to_string(),
        format!("devices/{DEVICE}/modules/receiver/inputs/in1/"),
        format!("devices/{DEVICE}/modules/receiver/inputs/in1"),
        format!("devices/{DEVICE}/modules/mallory/inputs/x/"),
        "$iothub/methods/POST/ping/?$rid=1".to_string(),
        "$iothub/anything".to_string(),
        "$SYS/broker".to_string(),
        "$edgeHub/x".to_string(),
        "$upstream".to_string(),
        "alerts/fire".to_string(),
        "alerts/#".to_string(),
        "+/x".to_string(),
    ];
    let mut receiver = hub.connect("receiver", true).await;
    receiver.subscribe_inputs("receiver").await;
    receiver.subscribe(&[("alerts/#", QoS::AtLeastOnce)]).await;
    for topic in &topics {
        let mut mallory = hub.connect("mallory", true).await;
        let pkid = mallory.publish(topic, b"forged", QoS::AtLeastOnce).await;
        let seen = closed_within(&mut mallory, Duration::from_secs(10)).await;
        let acked = seen.as_ref().map(|s| {
            s.iter()
                .any(|p| matches!(p, rumqttc::Packet::PubAck(a) if a.pkid == pkid))
        });
        let refused = acked == Some(false);
        t.attack(
            GROUP,
            &format!("publish on {topic}"),
            refused,
            format!("closed: {}, packets: {seen:?}", seen.is_some()),
        );
    }
    // Messages stored earlier for the receiver (store-and-forward outlives a clean session)
    // are skipped; only the forged payload counts.
    let leaked = next_matching(&mut receiver, QUIET, |p| p.payload.as_ref() == b"forged").await;
    t.attack(
        GROUP,
        "forged messages reach the receiver",
        leaked.is_none(),
        format!("{leaked:?}"),
    );
    receiver.disconnect().await;
}

/// Mallory asks for twins in every way a topic could name another module; no answer may
/// contain the receiver's desired properties.
async fn twin_reads(hub: &HubProc, t: &mut Tally) {
    let mut mallory = hub.connect("mallory", true).await;
    mallory
        .subscribe(&[(topics::TWIN_RESPONSE_FILTER, QoS::AtMostOnce)])
        .await;
    for (i, topic) in [
        "$iothub/twin/GET/?$rid={}".to_string(),
        "$iothub/twin/GET/receiver/?$rid={}".to_string(),
        "$iothub/twin/GET/?$rid={}&module=receiver".to_string(),
        format!("$iothub/twin/GET/devices/{DEVICE}/modules/receiver/?$rid={{}}"),
    ]
    .iter()
    .enumerate()
    {
        let topic = topic.replace("{}", &format!("t{i}"));
        mallory.publish(&topic, b"", QoS::AtMostOnce).await;
        let answer = mallory.next_publish(Duration::from_secs(2)).await;
        let leaked = answer
            .as_ref()
            .is_some_and(|p| String::from_utf8_lossy(&p.payload).contains("receiver-only"));
        t.attack(
            GROUP,
            &format!("read the receiver's twin via {topic}"),
            !leaked,
            format!("{answer:?}"),
        );
    }
    mallory.disconnect().await;
}

/// A method call to the receiver is pending; mallory answers it with the right request id.
/// The caller must get the receiver's answer, not mallory's.
async fn method_response_for_another_module(hub: &HubProc, t: &mut Tally) {
    let mut receiver = hub.connect("receiver", true).await;
    receiver
        .subscribe(&[(topics::METHODS_FILTER, QoS::AtLeastOnce)])
        .await;
    let mut mallory = hub.connect("mallory", true).await;
    let call = {
        let https = hub.https;
        let ca = hub.ca_pem.clone();
        let token = hub.creds("sender", 3600).password;
        tokio::spawn(async move {
            let body =
                json!({"methodName": "whoami", "payload": null, "responseTimeoutInSeconds": 10});
            crate::hubproc::invoke_over_https(https, &ca, &token, "sender", "receiver", &body).await
        })
    };
    let Some(request) = receiver.next_publish(Duration::from_secs(10)).await else {
        t.check(
            GROUP,
            "method request reaches the receiver",
            false,
            "no request",
        );
        return;
    };
    let rid = topics::parse_method_request(&request.topic)
        .map(|r| r.rid)
        .unwrap_or_default();
    mallory
        .publish(
            &topics::method_response_topic(200, &rid),
            br#"{"from":"mallory"}"#,
            QoS::AtMostOnce,
        )
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    receiver
        .publish(
            &topics::method_response_topic(200, &rid),
            br#"{"from":"receiver"}"#,
            QoS::AtMostOnce,
        )
        .await;
    let answer = call.await.unwrap_or((0, Value::Null));
    let refused = answer.1["payload"]["from"] == "receiver";
    t.attack(
        GROUP,
        "answer another module's method call (known request id)",
        refused,
        format!("{answer:?}"),
    );
    mallory.disconnect().await;
    receiver.disconnect().await;
}

/// Mallory's telemetry claims to come from the receiver/another device; the receiver must
/// see mallory as the sender.
async fn spoofed_system_properties(hub: &HubProc, t: &mut Tally) {
    let mut receiver = hub.connect("receiver", true).await;
    receiver.subscribe_inputs("receiver").await;
    let mut mallory = hub.connect("mallory", true).await;
    let bags = [
        "%24.on=o&%24.cmid=receiver&%24.cdid=edge-device",
        "%24.on=o&%24.cdid=other-device&%24.cmid=sender",
        "$.on=o&$.cmid=receiver&$.cdid=other-device",
        "%24.on=o&%24.CMID=receiver&connectionModuleId=receiver",
    ];
    for bag in bags {
        let topic = topics::telemetry_topic(DEVICE, Some("mallory"), bag);
        mallory.publish_acked(&topic, b"spoof").await;
        let from_mallory = format!("devices/{DEVICE}/modules/receiver/inputs/fromMallory/");
        let delivered = next_matching(&mut receiver, Duration::from_secs(10), |p| {
            p.topic.starts_with(&from_mallory)
        })
        .await;
        let Some(p) = delivered else {
            t.check(GROUP, "mallory's routed message arrives", false, bag);
            continue;
        };
        let props = delivery_properties(&p.topic, "receiver", "fromMallory");
        let get = |k: &str| {
            props
                .iter()
                .find(|(key, _)| key == k)
                .and_then(|(_, v)| v.clone())
        };
        let refused =
            get("$.cmid").as_deref() == Some("mallory") && get("$.cdid").as_deref() == Some(DEVICE);
        t.attack(
            GROUP,
            &format!("spoof the sender identity with {bag}"),
            refused,
            &p.topic,
        );
    }
    mallory.disconnect().await;
    receiver.disconnect().await;
}
