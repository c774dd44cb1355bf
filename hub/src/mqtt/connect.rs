//! The CONNECT exchange: read the first packet (the codec enforces CONNECT's flag rules:
//! a malformed CONNECT is closed without a CONNACK, MQTT 3.1.1 §3.1.4), check the protocol
//! level, authenticate the SAS token against the module identities, and answer CONNACK (0,
//! or 1/5 and close).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use rumqttc::{ConnAck, ConnectReturnCode, Packet, Protocol};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::codec::{read_packet, write_packet, Frame};
use super::shared::Shared;
use crate::identity::AuthenticatedModule;

/// Time a client gets to send CONNECT after the TLS handshake.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An authenticated CONNECT.
pub struct Accepted {
    /// Who connected.
    pub module: AuthenticatedModule,
    /// Clean-session flag.
    pub clean_session: bool,
    /// Keep-alive in seconds (0 = none).
    pub keep_alive: u16,
}

/// Reads and validates CONNECT. On refusal the CONNACK is written here and `None` returned.
pub async fn handshake<S>(
    shared: &Shared,
    stream: &mut S,
    rbuf: &mut BytesMut,
    peer: SocketAddr,
) -> Option<Accepted>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let connect = match tokio::time::timeout(CONNECT_TIMEOUT, read_first(stream, rbuf)).await {
        Ok(Ok(Packet::Connect(c))) => c,
        Ok(Ok(other)) => {
            tracing::info!(%peer, packet = ?packet_name(&other), "first packet is not CONNECT, closing");
            return None;
        }
        Ok(Err(e)) => {
            tracing::info!(%peer, error = %e, "no valid CONNECT, closing");
            return None;
        }
        Err(_) => {
            tracing::info!(%peer, "no CONNECT in time, closing");
            return None;
        }
    };
    if connect.protocol != Protocol::V4 {
        tracing::info!(%peer, client_id = %connect.client_id, "refused: only MQTT 3.1.1 is supported");
        refuse(stream, ConnectReturnCode::RefusedProtocolVersion).await;
        return None;
    }
    let (username, password) = connect
        .login
        .as_ref()
        .map(|l| (l.username.as_str(), l.password.as_str()))
        .unwrap_or(("", ""));
    match shared.identities.authenticate_mqtt(
        &connect.client_id,
        username,
        password,
        super::now_unix(),
    ) {
        Ok(module) => Some(Accepted {
            module,
            clean_session: connect.clean_session,
            keep_alive: connect.keep_alive,
        }),
        Err(e) => {
            tracing::warn!(%peer, client_id = %connect.client_id, reason = %e, "connection refused: not authorized");
            shared.metrics.connect_failed(&connect.client_id);
            refuse(stream, ConnectReturnCode::NotAuthorized).await;
            None
        }
    }
}

/// Writes a refusing CONNACK (best effort; the connection closes right after).
pub async fn refuse<S: AsyncWrite + Unpin>(stream: &mut S, code: ConnectReturnCode) {
    let mut buf = BytesMut::with_capacity(4);
    if write_packet(&mut buf, &Packet::ConnAck(ConnAck::new(code, false))).is_ok() {
        let _ = stream.write_all(&buf).await;
        let _ = stream.flush().await;
        let _ = stream.shutdown().await;
    }
}

async fn read_first<S: AsyncRead + Unpin>(
    stream: &mut S,
    rbuf: &mut BytesMut,
) -> Result<Packet, String> {
    loop {
        match read_packet(rbuf).map_err(|e| e.to_string())? {
            Frame::Packet(p) => return Ok(p),
            Frame::Incomplete => {}
        }
        let n = stream.read_buf(rbuf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".to_string());
        }
    }
}

/// Packet type name for logs.
pub fn packet_name(p: &Packet) -> &'static str {
    match p {
        Packet::Connect(_) => "CONNECT",
        Packet::ConnAck(_) => "CONNACK",
        Packet::Publish(_) => "PUBLISH",
        Packet::PubAck(_) => "PUBACK",
        Packet::PubRec(_) => "PUBREC",
        Packet::PubRel(_) => "PUBREL",
        Packet::PubComp(_) => "PUBCOMP",
        Packet::Subscribe(_) => "SUBSCRIBE",
        Packet::SubAck(_) => "SUBACK",
        Packet::Unsubscribe(_) => "UNSUBSCRIBE",
        Packet::UnsubAck(_) => "UNSUBACK",
        Packet::PingReq => "PINGREQ",
        Packet::PingResp => "PINGRESP",
        Packet::Disconnect => "DISCONNECT",
    }
}
