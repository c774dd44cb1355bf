//! `NativeMessage`: the plain object a message crosses the boundary as (the JavaScript
//! `Message` class is built from and turned into it). System properties travel in one map
//! keyed by the core's names (`SystemProperty`), so no list of them is kept here.

use std::collections::HashMap;

use edgemodule::{Error, SystemProperty};
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

use crate::error::to_napi;

/// A message as a plain object: body bytes, custom properties, system properties.
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

impl NativeMessage {
    /// The core's message; an unknown system-property name is `INVALID_ARGUMENT`.
    pub fn into_core(self) -> napi::Result<edgemodule::Message> {
        let mut message = edgemodule::Message::new(self.body.to_vec());
        message.properties = self.properties.into_iter().collect();
        for (name, value) in self.system {
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
