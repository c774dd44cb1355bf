//! # edgemodule-hub
//!
//! A local hub that speaks edgeHub's protocol (MQTT 3.1.1 over TLS, SAS authentication,
//! routes, twins, direct methods, store-and-forward) plus the IoT Edge workload API, driven
//! by a standard `deployment.json`. It is edgemodule's embedded default and the real server
//! every test runs against.

#![warn(missing_docs)]

pub mod admin;
pub mod authz;
pub mod certs;
pub mod cli;
pub mod config;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod hub;
pub mod identity;
pub mod manifest;
pub mod message;
pub mod methods;
pub mod metrics;
pub mod mqtt;
pub mod routes;
pub mod runtime;
pub mod scaffold;
pub mod state_dir;
pub mod store;
pub mod twins;
pub mod workload;
