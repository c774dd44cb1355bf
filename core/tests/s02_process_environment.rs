//! S02 through the process environment: `ModuleClient::from_connection_string` with
//! nothing but a connection string succeeds, trusting `EdgeModuleCACertificateFile` and
//! honouring `EDGEMODULE_MQTT_PORT` / `EDGEMODULE_HTTPS_PORT`. The only test in this
//! binary, because it sets process environment variables.

mod common;

use common::{within, TestHub};
use edgemodule::{Message, ModuleClient};

#[test]
fn s02_from_connection_string_uses_the_ca_file_and_port_variables() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let hub = TestHub::start().await;
        let ca = hub.dir.path().join("module-ca.pem");
        std::fs::write(&ca, hub.hub().trust_bundle_pem()).expect("write CA file");
        // Set before any client reads them; nothing else in this process reads them.
        std::env::set_var("EdgeModuleCACertificateFile", &ca);
        std::env::set_var(
            "EDGEMODULE_MQTT_PORT",
            hub.hub().mqtt_addr().port().to_string(),
        );
        std::env::set_var(
            "EDGEMODULE_HTTPS_PORT",
            hub.hub().https_addr().port().to_string(),
        );
        let cs = hub.hub().connection_string("sender").expect("module");
        let client = ModuleClient::from_connection_string(&cs)
            .await
            .expect("a connection string alone is enough");
        within(15, "connect", client.connect())
            .await
            .expect("connects");
        within(
            10,
            "send",
            client.send_output("up", Message::new("from env")),
        )
        .await
        .expect("sends");
        common::wait_until(5, "the message reaches $upstream", || {
            hub.hub()
                .upstream_messages()
                .iter()
                .any(|m| m.body == b"from env")
        })
        .await;
        client.close().await.expect("closes");
    });
}
