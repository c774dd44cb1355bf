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
        },
        ConnectionError::ConnectionRefused(code) => Failure {
            reason: StatusReason::CommunicationError,
            error: Error::new(
                ErrorKind::Connection,
                format!("the hub refused the connection (CONNACK {code:?})"),
            ),
            refused: false,
        },
        ConnectionError::Io(e)
            if matches!(
                e.kind(),
                Io::ConnectionRefused
                    | Io::NotFound
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
        },
        other => Failure {
            reason: StatusReason::CommunicationError,
            error: Error::new(ErrorKind::Connection, format!("connection to the hub failed: {other}")),
            refused: false,
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
    }
}

fn no_network(message: String) -> Failure {
    Failure {
        reason: StatusReason::NoNetwork,
        error: Error::new(ErrorKind::Connection, message),
        refused: false,
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
