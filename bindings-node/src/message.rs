//! Messages across the boundary as plain objects: `OutgoingMessage` is what a send takes
//! (the JavaScript `Message` turned into it), `NativeMessage` what a received message
//! arrives as. System properties travel in one map keyed by the core's names
//! (`SystemProperty`), so no list of them is kept here.

use std::collections::HashMap;

use edgemodule::{Error, SystemProperty};
use napi::bindgen_prelude::{Buffer, BufferSlice, Either};
use napi_derive::napi;

use crate::error::to_napi;

/// A message to send. The body is borrowed for the call (copied once, into the core's
/// message) and absent maps are skipped: a batch reads as little per message as it can.
#[napi(object, object_to_js = false)]
pub struct OutgoingMessage<'a> {
    /// The payload.
    pub body: BufferSlice<'a>,
    /// Custom (application) properties; absent when there are none.
    pub properties: Option<HashMap<String, String>>,
    /// System properties by the core's name (`message_id`, `creation_time`, …; see
    /// `systemProperties()`); absent when none is set.
    pub system: Option<HashMap<String, String>>,
}

/// The core's message for what a send takes per message: a bare `Buffer` for a message that
/// is only a body (the usual batch item: nothing else to read), or an `OutgoingMessage`.
pub fn into_core(
    item: Either<BufferSlice<'_>, OutgoingMessage<'_>>,
) -> napi::Result<edgemodule::Message> {
    match item {
        Either::A(body) => Ok(edgemodule::Message::new(body.to_vec())),
        Either::B(message) => message.into_core(),
    }
}

impl OutgoingMessage<'_> {
    /// The core's message; an unknown system-property name is `INVALID_ARGUMENT`.
    pub fn into_core(self) -> napi::Result<edgemodule::Message> {
        let mut message = edgemodule::Message::new(self.body.to_vec());
        if let Some(properties) = self.properties {
            message.properties = properties.into_iter().collect();
        }
        for (name, value) in self.system.into_iter().flatten() {
            let property = SystemProperty::from_name(&name).ok_or_else(|| {
                to_napi(Error::invalid_argument(format!(
                    "{name:?} is not a system property"
                )))
            })?;
            *message.system_mut(property) = Some(value);
        }
        Ok(message)
    }
}

/// A received message as a plain object: body bytes, custom properties, system properties.
#[napi(object)]
pub struct NativeMessage {
    /// The payload.
    pub body: Buffer,
    /// Custom (application) properties.
    pub properties: HashMap<String, String>,
    /// System properties by the core's name (`message_id`, `creation_time`, …; see
    /// `systemProperties()`); absent ones are left out.
    pub system: HashMap<String, String>,
}

impl From<&edgemodule::Message> for NativeMessage {
    fn from(m: &edgemodule::Message) -> Self {
        let system = SystemProperty::ALL
            .iter()
            .filter_map(|p| m.system(*p).map(|v| (p.name().to_string(), v.to_string())))
            .collect();
        NativeMessage {
            body: m.body.clone().into(),
            properties: m
                .properties
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            system,
        }
    }
}
