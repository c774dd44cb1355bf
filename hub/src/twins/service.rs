//! The twin service: module twins kept in the store, answered over MQTT (protocol.md §5),
//! changed by modules (reported) and by the operator (desired).

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use edgemodule::protocol::topics::{self, TwinRequest};
use serde_json::{json, Map, Value};

use super::merge::{merge_patch, with_version};
use super::publisher::ClientPublisher;
use super::validate::{validate_patch, validate_section_size};
use crate::error::HubError;
use crate::identity::Identities;
use crate::message::HubMessage;
use crate::store::{Store, TwinState};

/// Receives a twin change notification for routing (`/twinChangeNotifications`).
pub type ChangeHook = Arc<dyn Fn(HubMessage) + Send + Sync>;

/// Store key under which the manifest's desired properties of a module were last applied.
/// Module ids cannot contain `/`, so this never collides with a module's own twin.
fn manifest_key(module: &str) -> String {
    format!("manifest/{module}")
}

/// Module twins. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct TwinService {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    broker: Arc<dyn ClientPublisher>,
    identities: Arc<Identities>,
    on_reported_change: ChangeHook,
    /// Serializes read-modify-write of twins and keeps desired pushes in version order.
    write_lock: Mutex<()>,
}

impl TwinService {
    /// Opens the twins in `store`, applying the manifest's desired properties: a new twin
    /// starts at desired/reported `$version` 1; a twin whose manifest desired section
    /// changed since the last start takes the new section with the next version. Operator
    /// updates survive restarts as long as the manifest section stays the same.
    pub fn new(
        store: Store,
        broker: impl ClientPublisher,
        identities: Arc<Identities>,
        manifest_desired: &[(String, Value)],
        on_reported_change: ChangeHook,
    ) -> Result<TwinService, String> {
        Self::with_publisher(
            store,
            Arc::new(broker),
            identities,
            manifest_desired,
            on_reported_change,
        )
    }

    /// Same as [`TwinService::new`] for an already shared publisher.
    pub fn with_publisher(
        store: Store,
        broker: Arc<dyn ClientPublisher>,
        identities: Arc<Identities>,
        manifest_desired: &[(String, Value)],
        on_reported_change: ChangeHook,
    ) -> Result<TwinService, String> {
        let service = TwinService {
            inner: Arc::new(Inner {
                store,
                broker,
                identities,
                on_reported_change,
                write_lock: Mutex::new(()),
            }),
        };
        for (module, desired) in manifest_desired {
            service
                .apply_manifest(module, desired)
                .map_err(|e| format!("twin of module '{module}': {e}"))?;
        }
        Ok(service)
    }

    fn apply_manifest(&self, module: &str, desired: &Value) -> Result<(), HubError> {
        let desired = manifest_section(desired);
        let store = &self.inner.store;
        let _guard = self.lock();
        let last_applied = store
            .twin(&manifest_key(module))
            .map_err(store_error)?
            .map(|t| t.desired);
        let twin = match store.twin(module).map_err(store_error)? {
            None => Some(TwinState {
                desired: desired.clone(),
                desired_version: 1,
                reported: empty(),
                reported_version: 1,
            }),
            Some(mut twin) => {
                let changed = match &last_applied {
                    Some(previous) => *previous != desired,
                    None => twin.desired != desired,
                };
                changed.then(|| {
                    twin.desired = desired.clone();
                    twin.desired_version += 1;
                    twin
                })
            }
        };
        if let Some(twin) = twin {
            store.put_twin(module, &twin).map_err(store_error)?;
        }
        if last_applied.as_ref() != Some(&desired) {
            let record = TwinState {
                desired,
                desired_version: 0,
                reported: Value::Null,
                reported_version: 0,
            };
            store
                .put_twin(&manifest_key(module), &record)
                .map_err(store_error)?;
        }
        Ok(())
    }

    /// Handles a publish on `$iothub/twin/...` from `module`; returns the response (topic,
    /// payload) to publish back to that client, or None when no answer can be addressed
    /// (no `$rid` in the topic).
    pub fn handle_request(
        &self,
        module: &str,
        topic: &str,
        payload: &[u8],
    ) -> Option<(String, Bytes)> {
        let Some(request) = topics::parse_twin_request(topic) else {
            // edgeHub: "Twin operation is not supported" → 400 when we can address it.
            let rid = rid_of(topic)?;
            tracing::debug!(module, topic, "unsupported twin operation");
            return Some(response(400, &rid, Bytes::new()));
        };
        match request {
            TwinRequest::Get { rid } => match self.twin_json(module) {
                Ok(twin) => {
                    let body = serde_json::to_vec(&twin).unwrap_or_default();
                    Some(response(200, &rid, Bytes::from(body)))
                }
                Err(e) => Some(error_response(module, &rid, &e)),
            },
            TwinRequest::PatchReported { rid } => match self.patch_reported(module, payload) {
                Ok(version) => {
                    tracing::debug!(module, version, "reported properties updated");
                    Some(response(204, &rid, Bytes::new()))
                }
                Err(e) => Some(error_response(module, &rid, &e)),
            },
        }
    }

    /// `{"desired":{…,"$version":n},"reported":{…,"$version":m}}` — the GET response body.
    pub fn twin_json(&self, module: &str) -> Result<Value, HubError> {
        let twin = self.load(module)?;
        Ok(json!({
            "desired": with_version(&twin.desired, twin.desired_version),
            "reported": with_version(&twin.reported, twin.reported_version),
        }))
    }

    /// The stored twin of `module` (a known module without one gets the empty twin).
    pub fn twin_state(&self, module: &str) -> Result<TwinState, HubError> {
        self.load(module)
    }

    /// Operator change of desired properties: merge-patch, bump `$version`, persist, push
    /// `$iothub/twin/PATCH/properties/desired/?$version=n` (body incl. `"$version"`) to the
    /// module if it is subscribed. Returns the new version.
    pub fn update_desired(&self, module: &str, patch: Value) -> Result<i64, HubError> {
        validate_patch(&patch).map_err(HubError::BadRequest)?;
        let _guard = self.lock();
        let mut twin = self.load(module)?;
        merge_patch(&mut twin.desired, &patch);
        validate_section_size(&twin.desired).map_err(HubError::BadRequest)?;
        twin.desired_version += 1;
        self.inner
            .store
            .put_twin(module, &twin)
            .map_err(store_error)?;
        let version = twin.desired_version;
        let client_id = format!("{}/{module}", self.inner.identities.device_id());
        let body = serde_json::to_vec(&with_version(&patch, version)).unwrap_or_default();
        // An offline module catches up with a GET after reconnecting.
        let pushed = self.inner.broker.publish_to(
            &client_id,
            &topics::desired_patch_topic(version),
            Bytes::from(body),
            1,
        );
        tracing::debug!(module, version, pushed, "desired properties updated");
        Ok(version)
    }

    /// Validates and merges a reported patch; returns the new reported version.
    fn patch_reported(&self, module: &str, payload: &[u8]) -> Result<i64, HubError> {
        let patch: Value = serde_json::from_slice(payload)
            .map_err(|e| HubError::BadRequest(format!("reported patch is not JSON: {e}")))?;
        validate_patch(&patch).map_err(HubError::BadRequest)?;
        let version = {
            let _guard = self.lock();
            let mut twin = self.load(module)?;
            merge_patch(&mut twin.reported, &patch);
            validate_section_size(&twin.reported).map_err(HubError::BadRequest)?;
            twin.reported_version += 1;
            self.inner
                .store
                .put_twin(module, &twin)
                .map_err(store_error)?;
            twin.reported_version
        };
        let body = serde_json::to_vec(&patch).unwrap_or_default();
        let notification =
            HubMessage::twin_change_notification(self.inner.identities.device_id(), body);
        (self.inner.on_reported_change)(notification);
        Ok(version)
    }

    /// The twin of a known module, or the empty twin when none was stored yet.
    fn load(&self, module: &str) -> Result<TwinState, HubError> {
        if let Some(twin) = self.inner.store.twin(module).map_err(store_error)? {
            return Ok(twin);
        }
        if self.inner.identities.primary_key(module).is_none() {
            return Err(HubError::NotFound(format!("module '{module}'")));
        }
        Ok(TwinState {
            desired: empty(),
            desired_version: 1,
            reported: empty(),
            reported_version: 1,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.inner
            .write_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn empty() -> Value {
    Value::Object(Map::new())
}

/// The manifest's desired section without service keys (`$version`, `$metadata`).
fn manifest_section(desired: &Value) -> Value {
    match desired {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        _ => empty(),
    }
}

fn store_error(e: impl std::fmt::Display) -> HubError {
    HubError::Other(format!("twin store: {e}"))
}

fn response(status: u16, rid: &str, body: Bytes) -> (String, Bytes) {
    (topics::twin_response_topic(status, rid, None), body)
}

/// edgeHub's status for a failed twin operation; error responses have an empty body.
fn error_response(module: &str, rid: &str, e: &HubError) -> (String, Bytes) {
    let status = match e {
        HubError::BadRequest(_) => 400,
        HubError::NotFound(_) => 404,
        _ => 500,
    };
    tracing::debug!(module, status, error = %e, "twin request failed");
    response(status, rid, Bytes::new())
}

/// The `$rid` of a topic we do not otherwise understand (`…?$rid=x&…`), if non-empty.
fn rid_of(topic: &str) -> Option<String> {
    let (_, query) = topic.split_once('?')?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("$rid="))
        .filter(|rid| !rid.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rid_extraction() {
        assert_eq!(rid_of("$iothub/twin/PUT/?$rid=7").as_deref(), Some("7"));
        assert_eq!(
            rid_of("$iothub/twin/x/?a=b&$rid=r1&c").as_deref(),
            Some("r1")
        );
        assert_eq!(rid_of("$iothub/twin/x/?$rid="), None);
        assert_eq!(rid_of("$iothub/twin/x/"), None);
    }

    #[test]
    fn manifest_section_drops_service_keys() {
        let v = json!({"a": 1, "$version": 4, "$metadata": {}});
        assert_eq!(manifest_section(&v), json!({"a": 1}));
        assert_eq!(manifest_section(&Value::Null), json!({}));
    }
}
