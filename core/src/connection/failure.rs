//! What a connection failure means: the status reason, the error to report, and whether
//! retrying can help.

use rumqttc::{ConnectReturnCode, ConnectionError};

use crate::error::{Error, ErrorKind};
use crate::status::StatusReason;

/// A classified connection failure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    /// For the status.
    pub reason: StatusReason,
    /// For `connect()` and, when terminal, every pending operation.
    pub error: Error,
    /// The credentials were refused: on the first connect, retrying cannot help.
    pub refused: bool,
    /// Retrying can never help, even after a successful connection: the hub refused a
    /// token that expired and cannot be renewed.
    pub hopeless: bool,
    /// Nothing listened at the hub's address (the kernel refused the TCP connect): trying
    /// again soon costs the hub nothing ([`fast_retry`](super::fast_retry)).
    pub nothing_listening: bool,
}

/// The token a connection attempt presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PresentedToken {
    /// Its `se` (Unix seconds).
    pub expiry: u64,
    /// False for a fixed `SharedAccessSignature`.
    pub renewable: bool,
}

impl Failure {
    /// A refusal of a token whose expiry was not after `now` (the time of the refusal) is an
    /// expired token ([`StatusReason::for_refused_token`]): reason `ExpiredSasToken`, and
    /// no retry when the token cannot be renewed.
    pub(crate) fn with_token(mut self, token: Option<PresentedToken>, now: u64) -> Failure {
        let Some(token) = token else {
            return self;
        };
        if !self.refused
            || StatusReason::for_refused_token(token.expiry, now) != StatusReason::ExpiredSasToken
        {
            return self;
        }
        self.reason = StatusReason::ExpiredSasToken;
        self.hopeless = !token.renewable;
        let advice = if token.renewable {
            "is the clock of this machine right?"
        } else {
            "a SharedAccessSignature cannot be renewed; give a fresh one or a SharedAccessKey"
        };
        self.error = Error::new(
            ErrorKind::Unauthorized,
            format!(
                "the hub refused the SAS token, which expired at {} (now {now}): {advice}",
                token.expiry
            ),
        );
        self
    }
}

/// Classifies an MQTT connection error.
pub(crate) fn from_connection_error(error: &ConnectionError) -> Failure {
    use std::io::ErrorKind as Io;
    match error {
        ConnectionError::ConnectionRefused(
            code @ (ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized),
        ) => Failure {
            reason: StatusReason::BadCredential,
            error: Error::new(
                ErrorKind::Unauthorized,
                format!("the hub refused the credentials (CONNACK {code:?}); check the module identity and key"),
            ),
            refused: true,
            hopeless: false,
            nothing_listening: false,
        },
        ConnectionError::ConnectionRefused(code) => Failure {
            reason: StatusReason::CommunicationError,
            error: Error::new(
                ErrorKind::Connection,
                format!("the hub refused the connection (CONNACK {code:?})"),
            ),
            refused: false,
            hopeless: false,
            nothing_listening: false,
        },
        ConnectionError::Io(e) if e.kind() == Io::ConnectionRefused => Failure {
            nothing_listening: true,
            ..no_network(format!("the hub is unreachable: {e}"))
        },
        ConnectionError::Io(e)
            if matches!(
                e.kind(),
                Io::NotFound
                    | Io::AddrNotAvailable
                    | Io::HostUnreachable
                    | Io::NetworkUnreachable
                    | Io::NetworkDown
            ) =>
        {
            no_network(format!("the hub is unreachable: {e}"))
        }
        ConnectionError::NetworkTimeout => no_network("connecting to the hub timed out".into()),
        ConnectionError::Tls(e) => Failure {
            reason: StatusReason::CommunicationError,
            error: Error::new(
                ErrorKind::Connection,
                format!("TLS with the hub failed (is the trust bundle right?): {e}"),
            ),
            refused: false,
            hopeless: false,
            nothing_listening: false,
        },
        other => Failure {
            reason: StatusReason::CommunicationError,
            error: Error::new(ErrorKind::Connection, format!("connection to the hub failed: {other}")),
            refused: false,
            hopeless: false,
            nothing_listening: false,
        },
    }
}

/// Classifies a failure to obtain a token before connecting.
pub(crate) fn from_signing_error(error: Error) -> Failure {
    let refused = matches!(error.kind(), ErrorKind::Config | ErrorKind::Unauthorized);
    let reason = match error.kind() {
        _ if refused => StatusReason::BadCredential,
        ErrorKind::Connection | ErrorKind::Timeout => StatusReason::NoNetwork,
        _ => StatusReason::CommunicationError,
    };
    let error = if error.kind() == ErrorKind::Config {
        Error::new(
            ErrorKind::Unauthorized,
            format!("cannot sign a SAS token: {}", error.message()),
        )
    } else {
        error
    };
    Failure {
        reason,
        error,
        refused,
        hopeless: false,
        nothing_listening: false,
    }
}

fn no_network(message: String) -> Failure {
    Failure {
        reason: StatusReason::NoNetwork,
        error: Error::new(ErrorKind::Connection, message),
        refused: false,
        hopeless: false,
        nothing_listening: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_credentials_are_unauthorized_and_final() {
        for code in [
            ConnectReturnCode::BadUserNamePassword,
            ConnectReturnCode::NotAuthorized,
        ] {
            let f = from_connection_error(&ConnectionError::ConnectionRefused(code));
            assert!(f.refused);
            assert_eq!(f.reason, StatusReason::BadCredential);
            assert_eq!(f.error.kind(), ErrorKind::Unauthorized);
        }
        let f = from_connection_error(&ConnectionError::ConnectionRefused(
            ConnectReturnCode::ServiceUnavailable,
        ));
        assert!(!f.refused);
        assert_eq!(f.error.kind(), ErrorKind::Connection);
    }

    #[test]
    fn a_refused_expired_token_is_expired_sas_token() {
        let refused = || {
            from_connection_error(&ConnectionError::ConnectionRefused(
                ConnectReturnCode::NotAuthorized,
            ))
        };
        let fixed = PresentedToken {
            expiry: 1_000,
            renewable: false,
        };
        let f = refused().with_token(Some(fixed), 1_000);
        assert_eq!(f.reason, StatusReason::ExpiredSasToken);
        assert_eq!(f.error.kind(), ErrorKind::Unauthorized);
        assert!(f.refused && f.hopeless);
        assert!(f.error.message().contains("expired at 1000"), "{}", f.error);
        let renewable = PresentedToken {
            renewable: true,
            ..fixed
        };
        let f = refused().with_token(Some(renewable), 2_000);
        assert_eq!(f.reason, StatusReason::ExpiredSasToken);
        assert!(!f.hopeless);
        // Not expired at the refusal: a bad credential.
        let f = refused().with_token(Some(fixed), 999);
        assert_eq!(f.reason, StatusReason::BadCredential);
        assert!(!f.hopeless);
        // Not a refusal: the token does not matter.
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let f = from_connection_error(&ConnectionError::Io(reset)).with_token(Some(fixed), 5_000);
        assert_eq!(f.reason, StatusReason::CommunicationError);
        assert_eq!(refused().with_token(None, 5_000), refused());
    }

    #[test]
    fn network_errors_retry() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let f = from_connection_error(&ConnectionError::Io(refused));
        assert_eq!(f.reason, StatusReason::NoNetwork);
        assert!(!f.refused);
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let f = from_connection_error(&ConnectionError::Io(reset));
        assert_eq!(f.reason, StatusReason::CommunicationError);
        assert_eq!(f.error.kind(), ErrorKind::Connection);
    }

    #[test]
    fn signing_errors() {
        let f = from_signing_error(Error::config("SharedAccessKey is not base64"));
        assert!(f.refused);
        assert_eq!(f.error.kind(), ErrorKind::Unauthorized);
        let f = from_signing_error(Error::new(ErrorKind::Connection, "workload down"));
        assert!(!f.refused);
        assert_eq!(f.reason, StatusReason::NoNetwork);
    }
}
