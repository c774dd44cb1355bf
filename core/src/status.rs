//! Connection status with a reason, published on a `tokio::sync::watch` channel
//! (`ModuleClient::status`).

/// Where the connection is. Codes, names and descriptions: [`STATES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ConnectionState {
    /// `DISCONNECTED` (0).
    Disconnected = 0,
    /// `CONNECTED` (1).
    Connected = 1,
    /// `DISCONNECTED_RETRYING` (2).
    DisconnectedRetrying = 2,
    /// `CLOSED` (3).
    Closed = 3,
}

/// Why the state last changed. Codes, names and descriptions: [`REASONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum StatusReason {
    /// `OK` (0).
    Ok = 0,
    /// `EXPIRED_SAS_TOKEN` (1).
    ExpiredSasToken = 1,
    /// `BAD_CREDENTIAL` (2).
    BadCredential = 2,
    /// `NO_NETWORK` (3).
    NoNetwork = 3,
    /// `RETRY_EXPIRED` (4).
    RetryExpired = 4,
    /// `COMMUNICATION_ERROR` (5).
    CommunicationError = 5,
    /// `CLIENT_CLOSE` (6).
    ClientClose = 6,
}

/// One row of the state or reason table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusInfo {
    /// The stable number every binding uses.
    pub code: i32,
    /// The stable upper-case name.
    pub name: &'static str,
    /// The one description every binding shows.
    pub description: &'static str,
}

const fn info(code: i32, name: &'static str, description: &'static str) -> StatusInfo {
    StatusInfo {
        code,
        name,
        description,
    }
}

/// Every connection state, indexed by code.
pub const STATES: [StatusInfo; 4] = [
    info(
        0,
        "DISCONNECTED",
        "Not connected and not retrying (not connected yet, credentials refused, or \
         retrying gave up).",
    ),
    info(1, "CONNECTED", "Connected, subscribed and ready."),
    info(
        2,
        "DISCONNECTED_RETRYING",
        "Not connected; the client is reconnecting in the background.",
    ),
    info(
        3,
        "CLOSED",
        "The application closed the client (or dropped its last handle).",
    ),
];

/// Every status reason, indexed by code.
pub const REASONS: [StatusInfo; 7] = [
    info(0, "OK", "Nothing wrong."),
    info(
        1,
        "EXPIRED_SAS_TOKEN",
        "The hub refused a SAS token that had expired (its expiry was not after the time \
         of the refusal); a SharedAccessSignature from a connection string cannot be renewed.",
    ),
    info(
        2,
        "BAD_CREDENTIAL",
        "The hub refused credentials that had not expired (wrong key or signature, unknown \
         identity) or a token could not be signed.",
    ),
    info(
        3,
        "NO_NETWORK",
        "The hub could not be reached (refused, unreachable, DNS, connect timeout).",
    ),
    info(
        4,
        "RETRY_EXPIRED",
        "Reconnecting stopped after the retry policy's give-up time.",
    ),
    info(
        5,
        "COMMUNICATION_ERROR",
        "The connection broke or the peer misbehaved (reset, keep-alive timeout, TLS, \
         protocol).",
    ),
    info(6, "CLIENT_CLOSE", "The application closed the client."),
];

impl ConnectionState {
    /// Every state, in code order.
    pub const ALL: [ConnectionState; 4] = [
        ConnectionState::Disconnected,
        ConnectionState::Connected,
        ConnectionState::DisconnectedRetrying,
        ConnectionState::Closed,
    ];

    /// This state's row of [`STATES`].
    pub fn info(self) -> &'static StatusInfo {
        &STATES[self as usize]
    }

    /// The stable code.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The stable name, e.g. `DISCONNECTED_RETRYING`.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The state for a code, if it is one.
    pub fn from_code(code: i32) -> Option<ConnectionState> {
        ConnectionState::ALL
            .iter()
            .copied()
            .find(|s| s.code() == code)
    }
}

impl StatusReason {
    /// Every reason, in code order.
    pub const ALL: [StatusReason; 7] = [
        StatusReason::Ok,
        StatusReason::ExpiredSasToken,
        StatusReason::BadCredential,
        StatusReason::NoNetwork,
        StatusReason::RetryExpired,
        StatusReason::CommunicationError,
        StatusReason::ClientClose,
    ];

    /// This reason's row of [`REASONS`].
    pub fn info(self) -> &'static StatusInfo {
        &REASONS[self as usize]
    }

    /// The stable code.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The stable name, e.g. `EXPIRED_SAS_TOKEN`.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The reason for a code, if it is one.
    pub fn from_code(code: i32) -> Option<StatusReason> {
        StatusReason::ALL.iter().copied().find(|r| r.code() == code)
    }

    /// Why the hub refused (CONNACK 4/5) a connection that presented a SAS token expiring
    /// at `token_expiry` (Unix seconds), the refusal arriving at `now`: `ExpiredSasToken`
    /// when the token had expired (`token_expiry <= now`), else `BadCredential` — the rule
    /// of the official Java SDK (`IotHubTransport.exceptionToStatusChangeReason`; see
    /// docs/core-policies.md).
    pub fn for_refused_token(token_expiry: u64, now: u64) -> StatusReason {
        if token_expiry <= now {
            StatusReason::ExpiredSasToken
        } else {
            StatusReason::BadCredential
        }
    }
}

impl std::fmt::Display for ConnectionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::fmt::Display for StatusReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
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
    /// Credentials refused where retrying cannot help (the very first connect, or an
    /// expired token that cannot be renewed), for `reason`.
    Refused(StatusReason),
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
        StatusEvent::Refused(reason) => ConnectionStatus::new(Disconnected, reason),
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
    fn tables_are_indexed_by_code() {
        for (i, row) in STATES.iter().enumerate() {
            assert_eq!(row.code, i as i32);
            assert_eq!(ConnectionState::ALL[i].info(), row);
            assert_eq!(
                ConnectionState::from_code(row.code),
                Some(ConnectionState::ALL[i])
            );
        }
        for (i, row) in REASONS.iter().enumerate() {
            assert_eq!(row.code, i as i32);
            assert_eq!(StatusReason::ALL[i].info(), row);
            assert_eq!(
                StatusReason::from_code(row.code),
                Some(StatusReason::ALL[i])
            );
        }
        assert_eq!(StatusReason::ExpiredSasToken.name(), "EXPIRED_SAS_TOKEN");
        assert_eq!(ConnectionState::from_code(4), None);
        assert_eq!(StatusReason::from_code(7), None);
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
        let s = next_status(
            ConnectionStatus::initial(),
            StatusEvent::Refused(StatusReason::BadCredential),
        )
        .unwrap();
        assert_eq!(s, st(Disconnected, StatusReason::BadCredential));
        let s = next_status(
            ConnectionStatus::initial(),
            StatusEvent::Refused(StatusReason::ExpiredSasToken),
        )
        .unwrap();
        assert_eq!(s, st(Disconnected, StatusReason::ExpiredSasToken));
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
