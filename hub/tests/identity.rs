//! Module identities: persisted keys and SAS authentication (protocol.md §3.2, §3.3).

use std::os::unix::fs::PermissionsExt;

use edgemodule::protocol::{mqtt_identity, sas};
use edgemodule_hub::identity::Identities;

const HUB: &str = "myhub.azure-devices.net";
const GW: &str = "gw.local";
const DEVICE: &str = "edge1";
const NOW: u64 = 1_700_000_000;

fn modules(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn identities(dir: &std::path::Path) -> Identities {
    Identities::load_or_create(dir, DEVICE, HUB, GW, &modules(&["filter", "sensor"])).unwrap()
}

/// A token as the SDKs build it, signed with `key`.
fn token(host: &str, device: &str, module: &str, key: &str, expiry: u64) -> String {
    let uri = sas::resource_uri(host, device, Some(module));
    let sig = sas::sign(key, sas::string_to_sign(&uri, expiry).as_bytes()).unwrap();
    sas::format_token(&uri, &sig, expiry)
}

fn username(device: &str, module: &str) -> String {
    mqtt_identity::username(HUB, device, Some(module), "test/1.0", None)
}

#[test]
fn keys_are_persisted_with_0600_and_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let first = identities(dir.path());
    let key = first.primary_key("filter").unwrap().to_string();
    assert_eq!(
        base64_len(&key),
        32,
        "a key is 32 random bytes, base64-encoded"
    );
    assert_ne!(first.primary_key("filter"), first.secondary_key("filter"));
    assert_ne!(first.primary_key("filter"), first.primary_key("sensor"));
    let genid = first.generation_id("filter").unwrap().to_string();
    assert!(!genid.is_empty() && genid.chars().all(|c| c.is_ascii_digit()));

    let path = dir.path().join("identities.json");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // Reload with one module removed and one added: old keys kept, new module keyed.
    let second =
        Identities::load_or_create(dir.path(), DEVICE, HUB, GW, &modules(&["filter", "new"]))
            .unwrap();
    assert_eq!(second.primary_key("filter"), Some(key.as_str()));
    assert_eq!(second.generation_id("filter"), Some(genid.as_str()));
    assert_eq!(second.primary_key("sensor"), first.primary_key("sensor"));
    assert!(second.primary_key("new").is_some());
    assert_eq!(second.modules(), modules(&["filter", "new", "sensor"]));
    assert_eq!(second.primary_key("missing"), None);
}

fn base64_len(key: &str) -> usize {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(key)
        .unwrap()
        .len()
}

#[test]
fn keys_can_be_set_through_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("identities.json"),
        r#"{"modules":{"filter":{"primaryKey":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=","secondaryKey":"c2Vjb25k","generationId":"42"}}}"#,
    )
    .unwrap();
    let ids = identities(dir.path());
    assert_eq!(
        ids.primary_key("filter"),
        Some("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
    );
    assert_eq!(ids.generation_id("filter"), Some("42"));
    let mode = std::fs::metadata(dir.path().join("identities.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "permissions are tightened on load");
}

#[test]
fn corrupt_file_is_an_error_not_a_silent_reset() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("identities.json"), "{not json").unwrap();
    let err = Identities::load_or_create(dir.path(), DEVICE, HUB, GW, &[]).unwrap_err();
    assert!(err.to_string().contains("identities.json"), "{err}");
}

#[test]
fn connection_string_has_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let ids = identities(dir.path());
    let cs = ids.connection_string("filter").unwrap();
    let key = ids.primary_key("filter").unwrap();
    assert_eq!(
        cs,
        format!("HostName={HUB};GatewayHostName={GW};DeviceId={DEVICE};ModuleId=filter;SharedAccessKey={key}")
    );
    assert_eq!(ids.connection_string("nope"), None);
    let debug = format!("{ids:?}");
    assert!(
        debug.contains("filter") && !debug.contains(key),
        "keys stay out of Debug: {debug}"
    );
    assert_eq!(ids.device_id(), DEVICE);
    assert_eq!(ids.iothub_host_name(), HUB);
    assert_eq!(ids.gateway_host_name(), GW);
}

#[test]
fn mqtt_connect_with_a_valid_token_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let ids = identities(dir.path());
    let key = ids.primary_key("filter").unwrap();
    let user = mqtt_identity::username(HUB, DEVICE, Some("filter"), "py/2.14", Some("dtmi:x;1"));
    let ok = ids
        .authenticate_mqtt(
            "edge1/filter",
            &user,
            &token(HUB, DEVICE, "filter", key, NOW + 3600),
            NOW,
        )
        .unwrap();
    assert_eq!(ok.device_id, DEVICE);
    assert_eq!(ok.module_id, "filter");
    assert_eq!(ok.token_expiry, NOW + 3600);
    assert_eq!(ok.client_type.as_deref(), Some("py/2.14"));
    assert_eq!(ok.model_id.as_deref(), Some("dtmi:x;1"));
    assert_eq!(ok.client_id(), "edge1/filter");
    assert_eq!(ok.identity(HUB), format!("{HUB}/edge1/filter"));
}

#[test]
fn the_worked_example_token_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let mut ids = identities(dir.path());
    ids.insert_for_tests(
        "filter",
        "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        "c2Vjb25k",
        "1",
    );
    let example = "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fedge1%2Fmodules%2Ffilter&sig=Z9MVA5MQLovKhLgVFsqEK%2FW9dcjHkN%2BSRB85b1SL0yY%3D&se=1700000000";
    let ok = ids
        .authenticate_token(DEVICE, "filter", example, 1_700_000_000)
        .unwrap();
    assert_eq!(ok.token_expiry, 1_700_000_000);
}

#[test]
fn secondary_key_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let ids = identities(dir.path());
    let key = ids.secondary_key("filter").unwrap();
    let t = token(HUB, DEVICE, "filter", key, NOW + 60);
    assert!(ids
        .authenticate_mqtt("edge1/filter", &username(DEVICE, "filter"), &t, NOW)
        .is_ok());
}

#[test]
fn wrong_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ids = identities(dir.path());
    let other = ids.primary_key("sensor").unwrap();
    let t = token(HUB, DEVICE, "filter", other, NOW + 60);
    let err = ids
        .authenticate_mqtt("edge1/filter", &username(DEVICE, "filter"), &t, NOW)
        .unwrap_err();
    assert!(err.0.contains("signature"), "{err}");
}

#[test]
fn expiry_respects_the_five_minute_skew() {
    let dir = tempfile::tempdir().unwrap();
    let ids = identities(dir.path());
    let key = ids.primary_key("filter").unwrap();
    let user = username(DEVICE, "filter");
    // Expired 299 s ago: still inside the skew.
    let within = token(HUB, DEVICE, "filter", key, NOW - 299);
    assert!(ids
        .authenticate_mqtt("edge1/filter", &user, &within, NOW)
        .is_ok());
    // Expired 301 s ago: refused.
    let beyond = token(HUB, DEVICE, "filter", key, NOW - 301);
    let err = ids
        .authenticate_mqtt("edge1/filter", &user, &beyond, NOW)
        .unwrap_err();
    assert!(err.0.contains("expired"), "{err}");
}

#[test]
fn client_id_must_match_the_username() {
    let dir = tempfile::tempdir().unwrap();
    let ids = identities(dir.path());
    let key = ids.primary_key("filter").unwrap();
    let t = token(HUB, DEVICE, "filter", key, NOW + 60);
    let user = username(DEVICE, "filter");
    for bad in ["edge1/sensor", "edge1/Filter", "filter", ""] {
        let err = ids.authenticate_mqtt(bad, &user, &t, NOW).unwrap_err();
        assert!(err.0.contains("client id"), "{bad}: {err}");
    }
}

#[test]
fn token_audience_ids_are_case_insensitive() {
    let dir = tempfile::tempdir().unwrap();
    let ids = identities(dir.path());
    let key = ids.primary_key("filter").unwrap();
    let t = token(HUB, "EDGE1", "FILTER", key, NOW + 60);
    let ok = ids
        .authenticate_mqtt("edge1/filter", &username(DEVICE, "filter"), &t, NOW)
        .unwrap();
    assert_eq!(ok.module_id, "filter");
    // But a token for another module is refused even when signed with the right key.
    let other = token(HUB, DEVICE, "sensor", key, NOW + 60);
    let err = ids
        .authenticate_mqtt("edge1/filter", &username(DEVICE, "filter"), &other, NOW)
        .unwrap_err();
    assert!(err.0.contains("module 'sensor'"), "{err}");
}

#[test]
fn hub_or_gateway_host_is_accepted_in_the_audience() {
    let dir = tempfile::tempdir().unwrap();
    let ids = identities(dir.path());
    let key = ids.primary_key("filter").unwrap();
    let user = username(DEVICE, "filter");
    for host in [HUB, "MYHUB.azure-devices.NET", GW, "GW.LOCAL"] {
        let t = token(host, DEVICE, "filter", key, NOW + 60);
        assert!(
            ids.authenticate_mqtt("edge1/filter", &user, &t, NOW)
                .is_ok(),
            "{host}"
        );
    }
    let t = token("evil.example", DEVICE, "filter", key, NOW + 60);
    let err = ids
        .authenticate_mqtt("edge1/filter", &user, &t, NOW)
        .unwrap_err();
    assert!(err.0.contains("evil.example"), "{err}");
}

#[test]
fn legacy_username_form_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let ids = identities(dir.path());
    let key = ids.primary_key("filter").unwrap();
    let t = token(HUB, DEVICE, "filter", key, NOW + 60);
    let legacy = format!("{HUB}/edge1/filter/api-version=2016-11-14&DeviceClientType=legacy%2F1");
    let ok = ids
        .authenticate_mqtt("edge1/filter", &legacy, &t, NOW)
        .unwrap();
    assert_eq!(ok.client_type.as_deref(), Some("legacy/1"));
}

#[test]
fn bad_username_device_token_and_unknown_module_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ids = identities(dir.path());
    let key = ids.primary_key("filter").unwrap();
    let t = token(HUB, DEVICE, "filter", key, NOW + 60);

    let err = ids
        .authenticate_mqtt("edge1/filter", "no-api-version", &t, NOW)
        .unwrap_err();
    assert!(err.0.contains("username"), "{err}");

    let unknown = ids
        .authenticate_mqtt("edge1/ghost", &username(DEVICE, "ghost"), &t, NOW)
        .unwrap_err();
    assert!(unknown.0.contains("unknown module 'ghost'"), "{unknown}");

    let wrong_device = ids
        .authenticate_mqtt("other/filter", &username("other", "filter"), &t, NOW)
        .unwrap_err();
    assert!(
        wrong_device.0.contains("unknown device 'other'"),
        "{wrong_device}"
    );

    let uri = sas::resource_uri(HUB, DEVICE, None);
    let sig = sas::sign(key, sas::string_to_sign(&uri, NOW + 60).as_bytes()).unwrap();
    let device_token = sas::format_token(&uri, &sig, NOW + 60);
    let err = ids
        .authenticate_mqtt(
            "edge1/filter",
            &username(DEVICE, "filter"),
            &device_token,
            NOW,
        )
        .unwrap_err();
    assert!(err.0.contains("device-scoped"), "{err}");

    let err = ids
        .authenticate_mqtt(
            "edge1/filter",
            &username(DEVICE, "filter"),
            "not a token",
            NOW,
        )
        .unwrap_err();
    assert!(err.0.contains("malformed SAS token"), "{err}");

    let err = ids
        .authenticate_mqtt("edge1/filter", &username(DEVICE, "filter"), "", NOW)
        .unwrap_err();
    assert!(err.0.contains("empty password"), "{err}");
}

#[test]
fn authenticate_token_for_http() {
    let dir = tempfile::tempdir().unwrap();
    let ids = identities(dir.path());
    let key = ids.primary_key("sensor").unwrap();
    let t = token(HUB, DEVICE, "sensor", key, NOW + 60);
    let ok = ids.authenticate_token(DEVICE, "sensor", &t, NOW).unwrap();
    assert_eq!(
        (ok.device_id.as_str(), ok.module_id.as_str()),
        (DEVICE, "sensor")
    );
    assert!(ids.authenticate_token(DEVICE, "filter", &t, NOW).is_err());
}
