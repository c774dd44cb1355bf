//! Connection status with a reason, published on a `tokio::sync::watch` channel
//! (`ModuleClient::status`).

/// Where the connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionState {
    /// Connected, subscribed and ready.
    Connected,
    /// Not connected; the client is retrying in the background.
    DisconnectedRetrying,
    /// Not connected and not retrying (never started, bad credentials, retries expired).
    Disconnected,
    /// `close()` was called or the last handle was dropped.
    Closed,
}

/// Why the state last changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusReason {
    /// Nothing wrong.
    Ok,
    /// The SAS token expired (or is being renewed and the reconnect failed).
    ExpiredSasToken,
    /// The hub refused the credentials (CONNACK 4/5).
    BadCredential,
    /// The hub could not be reached (refused, unreachable, DNS).
    NoNetwork,
    /// Retrying stopped after `RetryPolicy::give_up_after`.
    RetryExpired,
    /// The connection broke or the peer misbehaved (reset, keep-alive timeout, TLS, protocol).
    CommunicationError,
    /// The application closed the client.
    ClientClose,
}

/// A state and the reason for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectionStatus {
    /// The state.
    pub state: ConnectionState,
    /// The reason.
    pub reason: StatusReason,
}

impl ConnectionStatus {
    /// A status from its parts.
    pub const fn new(state: ConnectionState, reason: StatusReason) -> Self {
        ConnectionStatus { state, reason }
    }

    /// The status of a client that has not connected yet.
    pub const fn initial() -> Self {
        ConnectionStatus::new(ConnectionState::Disconnected, StatusReason::Ok)
    }

    /// True when connected.
    pub fn is_connected(&self) -> bool {
        self.state == ConnectionState::Connected
    }
}

/// What the connection task learned, reduced to what decides the next status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusEvent {
    /// Subscriptions acknowledged after a CONNACK.
    Ready,
    /// The connection failed or broke, for `reason`.
    Lost(StatusReason),
    /// A planned reconnect to renew the SAS token started.
    Renewing,
    /// Retrying stopped.
    GaveUp,
    /// Credentials refused on the very first connect: no point retrying.
    Refused,
    /// The application closed the client.
    Closed,
}

/// The next status after `event`, or `None` when the status must not change (a planned
/// token-renewal reconnect is invisible while it succeeds; nothing leaves `Closed`).
pub(crate) fn next_status(
    current: ConnectionStatus,
    event: StatusEvent,
) -> Option<ConnectionStatus> {
    use ConnectionState::*;
    if current.state == Closed {
        return None;
    }
    let next = match event {
        StatusEvent::Ready => ConnectionStatus::new(Connected, StatusReason::Ok),
        StatusEvent::Renewing => return None,
        StatusEvent::Lost(reason) => ConnectionStatus::new(DisconnectedRetrying, reason),
        StatusEvent::GaveUp => ConnectionStatus::new(Disconnected, StatusReason::RetryExpired),
        StatusEvent::Refused => ConnectionStatus::new(Disconnected, StatusReason::BadCredential),
        StatusEvent::Closed => ConnectionStatus::new(Closed, StatusReason::ClientClose),
    };
    (next != current).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConnectionState::*;

    fn st(state: ConnectionState, reason: StatusReason) -> ConnectionStatus {
        ConnectionStatus::new(state, reason)
    }

    #[test]
    fn lifecycle_transitions() {
        let s0 = ConnectionStatus::initial();
        let s1 = next_status(s0, StatusEvent::Ready).unwrap();
        assert_eq!(s1, st(Connected, StatusReason::Ok));
        let s2 = next_status(s1, StatusEvent::Lost(StatusReason::NoNetwork)).unwrap();
        assert_eq!(s2, st(DisconnectedRetrying, StatusReason::NoNetwork));
        let s3 = next_status(s2, StatusEvent::GaveUp).unwrap();
        assert_eq!(s3, st(Disconnected, StatusReason::RetryExpired));
        let s4 = next_status(s3, StatusEvent::Closed).unwrap();
        assert_eq!(s4, st(Closed, StatusReason::ClientClose));
    }

    #[test]
    fn renewal_is_silent_and_repeats_are_suppressed() {
        let connected = st(Connected, StatusReason::Ok);
        assert_eq!(next_status(connected, StatusEvent::Renewing), None);
        assert_eq!(next_status(connected, StatusEvent::Ready), None);
        let retrying = st(DisconnectedRetrying, StatusReason::NoNetwork);
        assert_eq!(
            next_status(retrying, StatusEvent::Lost(StatusReason::NoNetwork)),
            None
        );
    }

    #[test]
    fn refused_first_connect_and_closed_is_final() {
        let s = next_status(ConnectionStatus::initial(), StatusEvent::Refused).unwrap();
        assert_eq!(s, st(Disconnected, StatusReason::BadCredential));
        let closed = st(Closed, StatusReason::ClientClose);
        for ev in [
            StatusEvent::Ready,
            StatusEvent::Lost(StatusReason::CommunicationError),
            StatusEvent::GaveUp,
            StatusEvent::Closed,
        ] {
            assert_eq!(next_status(closed, ev), None);
        }
    }
}
