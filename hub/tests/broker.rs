//! The MQTT broker over real TLS: authentication (CONNACK 0/5), routing from an output to
//! an input with every property intact, unrouted messages, `$upstream`, and the limits that
//! close a connection (QoS 2, oversize messages).

mod common;

use std::collections::BTreeMap;

use common::{output_topic, Creds, Event, Raw, TestHub, DEVICE, QUIET, WAIT};
use edgemodule::protocol::{property_bag, topics};
use rumqttc::{ConnectReturnCode, Packet, QoS};

async fn connack_code(hub: &TestHub, creds: &Creds) -> ConnectReturnCode {
    let (mut raw, ack) =
        Raw::connect(hub.addr(), hub.hub.trust_bundle_pem(), creds, false, 60).await;
    if ack.code != ConnectReturnCode::Success {
        // A refused client is disconnected right after the CONNACK.
        assert!(matches!(raw.recv(WAIT).await, Event::Closed));
    }
    ack.code
}

#[tokio::test]
async fn good_token_is_accepted_and_bad_ones_get_connack_5() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let (_sender, ack) = hub.connect("sender", false).await;
    assert!(!ack.session_present);
    assert!(hub.hub.is_connected("sender"));

    let host = hub.hub.config().iothub_host_name.clone();
    let wrong_key = Creds::signed(
        &host,
        DEVICE,
        "sender",
        "d3Jvbmcga2V5IHdyb25nIGtleSB3cm9uZyBrZXkhIQ==",
        3600,
    );
    assert_eq!(
        connack_code(&hub, &wrong_key).await,
        ConnectReturnCode::NotAuthorized
    );

    let expired = Creds::for_module(&hub.hub, "sender", -3600);
    assert_eq!(
        connack_code(&hub, &expired).await,
        ConnectReturnCode::NotAuthorized
    );

    let mut wrong_client = hub.creds("sender");
    wrong_client.client_id = format!("{DEVICE}/receiver");
    assert_eq!(
        connack_code(&hub, &wrong_client).await,
        ConnectReturnCode::NotAuthorized
    );

    let mut unknown = hub.creds("sender");
    unknown.password = "SharedAccessSignature sr=x&sig=y&se=1".into();
    assert_eq!(
        connack_code(&hub, &unknown).await,
        ConnectReturnCode::NotAuthorized
    );
    hub.stop().await;
}

#[tokio::test]
async fn output_is_routed_to_the_input_with_body_and_properties_intact() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let (mut receiver, _) = hub.connect("receiver", false).await;
    receiver.subscribe_inputs("receiver").await;
    let (mut sender, _) = hub.connect("sender", false).await;

    let props = [
        ("$.mid", "message-1"),
        ("$.cid", "corr-1"),
        ("$.ct", "application/json"),
        ("$.ce", "utf-8"),
        ("temperature", "21.5"),
        ("odd key", "a&b=c/d ü%"),
    ];
    let body = br#"{"temperature":21.5}"#;
    sender
        .publish_acked(&output_topic("sender", "out1", &props), body)
        .await;

    let delivery = receiver.receive_acked().await;
    assert_eq!(delivery.qos, QoS::AtLeastOnce);
    assert_eq!(&delivery.payload[..], body);
    let prefix = format!("devices/{DEVICE}/modules/receiver/inputs/in1/");
    assert!(
        delivery.topic.starts_with(&prefix),
        "topic {}",
        delivery.topic
    );
    let parsed = topics::parse_input_topic(&delivery.topic).expect("input topic");
    assert_eq!(parsed.input_name, "in1");
    let bag: BTreeMap<String, Option<String>> =
        property_bag::decode(&delivery.topic[prefix.len()..])
            .expect("bag")
            .into_iter()
            .collect();
    let get = |k: &str| bag.get(k).cloned().flatten();
    assert_eq!(get("$.cdid").as_deref(), Some(DEVICE));
    assert_eq!(get("$.cmid").as_deref(), Some("sender"));
    assert_eq!(get("$.mid").as_deref(), Some("message-1"));
    assert_eq!(get("$.cid").as_deref(), Some("corr-1"));
    assert_eq!(get("$.ct").as_deref(), Some("application/json"));
    assert_eq!(get("$.ce").as_deref(), Some("utf-8"));
    assert_eq!(get("temperature").as_deref(), Some("21.5"));
    assert_eq!(get("odd key").as_deref(), Some("a&b=c/d ü%"));
    assert!(
        !bag.contains_key("$.on"),
        "the output name is not forwarded: {bag:?}"
    );

    // Several messages keep their order.
    for i in 0..20 {
        sender
            .publish_acked(
                &output_topic("sender", "out1", &[]),
                format!("m{i}").as_bytes(),
            )
            .await;
    }
    for i in 0..20 {
        let p = receiver.receive_acked().await;
        assert_eq!(&p.payload[..], format!("m{i}").as_bytes());
        assert!(p.topic.starts_with(&prefix), "topic {}", p.topic);
    }
    hub.stop().await;
}

#[tokio::test]
async fn unrouted_messages_are_acknowledged_and_dropped_and_upstream_is_recorded() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let (mut receiver, _) = hub.connect("receiver", false).await;
    receiver.subscribe_inputs("receiver").await;
    let (mut sender, _) = hub.connect("sender", false).await;

    sender
        .publish_acked(&output_topic("sender", "nowhere", &[]), b"lost")
        .await;
    // A plain telemetry topic (no output), with and without a trailing slash.
    sender
        .publish_acked(
            &format!("devices/{DEVICE}/modules/sender/messages/events/"),
            b"plain",
        )
        .await;
    sender
        .publish_acked(
            &format!("devices/{DEVICE}/modules/sender/messages/events"),
            b"plain",
        )
        .await;
    assert!(receiver.next_publish(QUIET).await.is_none());

    sender
        .publish_acked(
            &output_topic("sender", "up", &[("k", "v")]),
            b"to the cloud",
        )
        .await;
    let upstream = hub.hub.upstream_messages();
    assert_eq!(upstream.len(), 1);
    assert_eq!(upstream[0].body, b"to the cloud");
    assert_eq!(
        upstream[0].properties.get("k").map(String::as_str),
        Some("v")
    );
    assert_eq!(upstream[0].source, "/messages/modules/sender/outputs/up");
    hub.stop().await;
}

#[tokio::test]
async fn qos_2_publish_closes_the_connection() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let (mut sender, _) = hub.connect("sender", false).await;
    sender
        .publish(
            &output_topic("sender", "out1", &[]),
            b"exactly once?",
            QoS::ExactlyOnce,
        )
        .await;
    let seen = sender.expect_closed().await;
    assert!(seen.is_empty(), "no PUBREC or anything else: {seen:?}");

    // A QoS 2 subscription is granted as QoS 1.
    let (mut receiver, _) = hub.connect("receiver", false).await;
    let codes = receiver
        .subscribe(&[(&topics::inputs_filter(DEVICE, "receiver"), QoS::ExactlyOnce)])
        .await;
    assert_eq!(
        codes,
        vec![rumqttc::SubscribeReasonCode::Success(QoS::AtLeastOnce)]
    );
    hub.stop().await;
}

#[tokio::test]
async fn messages_over_256_kib_close_the_connection() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let (mut receiver, _) = hub.connect("receiver", false).await;
    receiver.subscribe_inputs("receiver").await;
    let (mut sender, _) = hub.connect("sender", false).await;

    // Just under the limit (body + property keys and values) is accepted and delivered.
    let topic = output_topic("sender", "out1", &[("k", "v")]);
    let fits = vec![b'a'; 256 * 1024 - "$.on".len() - "out1".len() - 2];
    sender.publish_acked(&topic, &fits).await;
    assert_eq!(receiver.receive_acked().await.payload.len(), fits.len());

    let too_big = vec![b'b'; 256 * 1024 + 1];
    sender.publish(&topic, &too_big, QoS::AtLeastOnce).await;
    let seen = sender.expect_closed().await;
    assert!(
        !seen.iter().any(|p| matches!(p, Packet::PubAck(_))),
        "no PUBACK: {seen:?}"
    );
    assert!(receiver.next_publish(QUIET).await.is_none());
    hub.stop().await;
}

#[tokio::test]
async fn keep_alive_silence_drops_the_connection() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let (mut raw, ack) = Raw::connect(
        hub.addr(),
        hub.hub.trust_bundle_pem(),
        &hub.creds("sender"),
        false,
        1,
    )
    .await;
    assert_eq!(ack.code, ConnectReturnCode::Success);
    // PINGREQ is answered.
    raw.send(Packet::PingReq).await;
    assert!(matches!(
        raw.recv(WAIT).await,
        Event::Packet(Packet::PingResp)
    ));
    // Then 1.5 × 1 s of silence ends the connection.
    assert!(raw.expect_closed().await.is_empty());
    assert!(!hub.hub.is_connected("sender"));
    hub.stop().await;
}

#[tokio::test]
async fn module_env_describes_the_iot_edge_runtime_for_a_module() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let env: BTreeMap<String, String> = hub
        .hub
        .module_env("receiver")
        .expect("known module")
        .into_iter()
        .collect();
    let get = |k: &str| env.get(k).map(String::as_str);
    let socket = hub.hub.workload_socket("receiver").display().to_string();
    assert!(socket.ends_with("/workload/receiver.sock"), "{socket}");
    assert_eq!(
        get("IOTEDGE_WORKLOADURI"),
        Some(format!("unix://{socket}").as_str())
    );
    assert_eq!(
        get("IOTEDGE_IOTHUBHOSTNAME"),
        Some(hub.hub.config().iothub_host_name.as_str())
    );
    assert_eq!(get("IOTEDGE_GATEWAYHOSTNAME"), Some("localhost"));
    assert_eq!(get("IOTEDGE_DEVICEID"), Some(DEVICE));
    assert_eq!(get("IOTEDGE_MODULEID"), Some("receiver"));
    assert!(get("IOTEDGE_MODULEGENERATIONID").is_some_and(|g| !g.is_empty()));
    assert_eq!(get("IOTEDGE_APIVERSION"), Some("2019-01-30"));
    assert_eq!(get("IOTEDGE_AUTHSCHEME"), Some("sasToken"));
    // Ephemeral test ports differ from 8883/443, so the overrides are present.
    assert_eq!(
        get("EDGEMODULE_MQTT_PORT"),
        Some(hub.addr().port().to_string().as_str())
    );
    assert_eq!(
        get("EDGEMODULE_HTTPS_PORT"),
        Some(hub.hub.https_addr().port().to_string().as_str())
    );
    assert!(hub.hub.module_env("nobody").is_none());
    hub.stop().await;
}

#[tokio::test]
async fn packets_sent_right_behind_connect_are_served() {
    let hub = TestHub::start(&common::routed_deployment()).await;
    let creds = hub.creds("receiver");
    let mut raw = Raw::open(hub.addr(), hub.hub.trust_bundle_pem()).await;
    let mut connect = rumqttc::Connect::new(creds.client_id.clone());
    connect.clean_session = false;
    connect.set_login(creds.username.clone(), creds.password.clone());
    let mut sub =
        rumqttc::Subscribe::new(topics::inputs_filter(DEVICE, "receiver"), QoS::AtLeastOnce);
    sub.pkid = 7;
    let mut bytes = bytes::BytesMut::new();
    Packet::Connect(connect)
        .write(&mut bytes, usize::MAX)
        .unwrap();
    Packet::Subscribe(sub)
        .write(&mut bytes, usize::MAX)
        .unwrap();
    raw.send_bytes(&bytes).await;
    assert!(
        matches!(raw.recv(WAIT).await, Event::Packet(Packet::ConnAck(a)) if a.code == ConnectReturnCode::Success)
    );
    assert!(matches!(raw.recv(WAIT).await, Event::Packet(Packet::SubAck(a)) if a.pkid == 7));
    hub.stop().await;
}
