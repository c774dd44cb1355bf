//! S25: the core's log records reach the language's own logging — for Rust, any `tracing`
//! subscriber — on a forced reconnect (hub restart): the connection loss at WARN and the
//! reconnect at INFO, with the module id as a structured field.

mod common;

use std::sync::{Arc, Mutex};

use common::{within, TestHub};
use edgemodule::Message;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// One captured record of the core (not of the in-process hub).
#[derive(Debug, Clone, Default)]
struct Record {
    level: Option<Level>,
    message: String,
    module: Option<String>,
}

#[derive(Default)]
struct Fields(Record);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => self.0.message = format!("{value:?}"),
            "module" => self.0.module = Some(format!("{value:?}")),
            _ => {}
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.0.message = value.to_string(),
            "module" => self.0.module = Some(value.to_string()),
            _ => {}
        }
    }
}

struct Capture(Arc<Mutex<Vec<Record>>>);

impl<S: Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let target = event.metadata().target();
        if target != "edgemodule" && !target.starts_with("edgemodule::") {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        fields.0.level = Some(*event.metadata().level());
        self.0.lock().unwrap().push(fields.0);
    }
}

fn matching(records: &Mutex<Vec<Record>>, message: &str) -> Vec<Record> {
    records
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.message == message && r.module.as_deref() == Some("sender"))
        .cloned()
        .collect()
}

#[tokio::test]
async fn s25_a_hub_restart_is_logged_through_tracing() {
    let records = Arc::new(Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::registry().with(Capture(Arc::clone(&records)));
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let mut hub = TestHub::start().await;
    let sender = hub.client("sender").await;
    records.lock().unwrap().clear();
    hub.restart().await;
    within(
        30,
        "a send after the restart",
        sender.send_output("up", Message::new("after the restart")),
    )
    .await
    .unwrap();

    let lost = matching(&records, "connection lost");
    assert_eq!(lost.len(), 1, "one warning per outage: {lost:?}");
    assert_eq!(lost[0].level, Some(Level::WARN));
    let connected = matching(&records, "connected");
    assert!(
        connected.iter().any(|r| r.level == Some(Level::INFO)),
        "the reconnect at INFO: {:?}",
        records.lock().unwrap()
    );
}
