//! The hub's local PKI: persistence, and real TLS handshakes against `server_tls_config`.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::Duration;

use edgemodule_hub::certs::HubCertificates;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn roots(ca_pem: &str) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    roots
}

fn client_config(
    ca_pem: &str,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<rustls::ClientConfig> {
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(versions)
            .unwrap()
            .with_root_certificates(roots(ca_pem))
            .with_no_client_auth(),
    )
}

/// Serves one TLS connection that echoes one byte; returns the client's result.
async fn handshake(
    certs: &HubCertificates,
    server_name: &str,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<rustls::ProtocolVersion, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(certs.server_tls_config().unwrap());
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        if let Ok(mut tls) = acceptor.accept(tcp).await {
            let mut b = [0u8; 1];
            if tls.read_exact(&mut b).await.is_ok() {
                let _ = tls.write_all(&b).await;
                let _ = tls.flush().await;
            }
        }
    });
    let connector = tokio_rustls::TlsConnector::from(client_config(&certs.ca_pem, versions));
    let name = ServerName::try_from(server_name.to_string()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(10), async {
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| e.to_string())?;
        let mut tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| e.to_string())?;
        tls.write_all(b"x").await.map_err(|e| e.to_string())?;
        let mut b = [0u8; 1];
        tls.read_exact(&mut b).await.map_err(|e| e.to_string())?;
        assert_eq!(&b, b"x");
        tls.get_ref()
            .1
            .protocol_version()
            .ok_or("no version".to_string())
    })
    .await
    .expect("handshake timed out");
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    result
}

#[test]
fn ca_and_server_cert_are_persisted_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let first = HubCertificates::load_or_create(dir.path(), "gw.example").unwrap();
    assert!(first.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(
        first.server_chain_pem.matches("BEGIN CERTIFICATE").count(),
        2
    );
    assert!(first.server_chain_pem.ends_with(&first.ca_pem));
    assert!(first.server_key_pem.contains("BEGIN PRIVATE KEY"));

    let certs_dir = dir.path().join("certs");
    for (file, mode) in [
        ("ca.key.pem", 0o600),
        ("server.key.pem", 0o600),
        ("ca.pem", 0o644),
        ("server.pem", 0o644),
    ] {
        let m = std::fs::metadata(certs_dir.join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(m & 0o777, mode, "{file}");
    }
    assert_eq!(
        std::fs::read_to_string(HubCertificates::ca_cert_path(dir.path())).unwrap(),
        first.ca_pem
    );

    let again = HubCertificates::load_or_create(dir.path(), "gw.example").unwrap();
    assert_eq!(again.ca_pem, first.ca_pem);
    assert_eq!(again.server_chain_pem, first.server_chain_pem);
    assert_eq!(again.server_key_pem, first.server_key_pem);

    // A new gateway name gets a new server certificate from the same CA.
    let renamed = HubCertificates::load_or_create(dir.path(), "other.example").unwrap();
    assert_eq!(renamed.ca_pem, first.ca_pem);
    assert_ne!(renamed.server_chain_pem, first.server_chain_pem);
    assert!(renamed.server_chain_pem.ends_with(&first.ca_pem));

    // Losing meta.json does not replace the CA (clients keep trusting the hub).
    std::fs::remove_file(certs_dir.join("meta.json")).unwrap();
    let no_meta = HubCertificates::load_or_create(dir.path(), "other.example").unwrap();
    assert_eq!(no_meta.ca_pem, first.ca_pem);

    // Losing the CA key makes a new CA and a new server cert chained to it.
    std::fs::remove_file(certs_dir.join("ca.key.pem")).unwrap();
    let fresh = HubCertificates::load_or_create(dir.path(), "other.example").unwrap();
    assert_ne!(fresh.ca_pem, first.ca_pem);
    assert!(fresh.server_chain_pem.ends_with(&fresh.ca_pem));
}

#[tokio::test]
async fn client_trusting_only_the_ca_completes_a_handshake() {
    let dir = tempfile::tempdir().unwrap();
    let certs = HubCertificates::load_or_create(dir.path(), "gw.example").unwrap();
    let all = &[&rustls::version::TLS13, &rustls::version::TLS12];
    for name in ["localhost", "127.0.0.1", "gw.example"] {
        handshake(&certs, name, all)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let v12 = handshake(&certs, "localhost", &[&rustls::version::TLS12])
        .await
        .unwrap();
    assert_eq!(v12, rustls::ProtocolVersion::TLSv1_2);
    let v13 = handshake(&certs, "localhost", &[&rustls::version::TLS13])
        .await
        .unwrap();
    assert_eq!(v13, rustls::ProtocolVersion::TLSv1_3);

    // Reloaded from disk: a client holding the old trust bundle still connects.
    let reloaded = HubCertificates::load_or_create(dir.path(), "gw.example").unwrap();
    assert_eq!(reloaded.ca_pem, certs.ca_pem);
    handshake(&reloaded, "localhost", all).await.unwrap();
}

#[tokio::test]
async fn wrong_server_name_fails() {
    let dir = tempfile::tempdir().unwrap();
    let certs = HubCertificates::load_or_create(dir.path(), "gw.example").unwrap();
    let err = handshake(&certs, "wrong.example", &[&rustls::version::TLS13])
        .await
        .unwrap_err();
    assert!(err.to_lowercase().contains("not valid for name"), "{err}");
}

#[tokio::test]
async fn a_different_ca_is_not_trusted() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let hub_a = HubCertificates::load_or_create(a.path(), "localhost").unwrap();
    let hub_b = HubCertificates::load_or_create(b.path(), "localhost").unwrap();
    // Server from hub A, but the client trusts hub B's CA.
    let mut mixed = hub_a.clone();
    mixed.ca_pem = hub_b.ca_pem.clone();
    assert!(handshake(&mixed, "localhost", &[&rustls::version::TLS13])
        .await
        .is_err());
}

#[test]
fn identity_certificate_chains_to_the_ca_with_the_module_uri() {
    let dir = tempfile::tempdir().unwrap();
    let certs = HubCertificates::load_or_create(dir.path(), "gw.example").unwrap();
    let (chain, key) = certs
        .issue_identity_certificate("myhub.azure-devices.net", "edge1", "filter")
        .unwrap();
    assert!(key.contains("BEGIN PRIVATE KEY"), "PKCS#8 key");
    let ders: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ders.len(), 2);
    let leaf = ders[0].as_ref();
    let contains = |needle: &[u8]| leaf.windows(needle.len()).any(|w| w == needle);
    assert!(contains(
        b"azureiot://myhub.azure-devices.net/devices/edge1/modules/filter"
    ));
    assert!(contains(b"filter"));

    // A client-certificate verifier that trusts only the CA accepts it.
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots(&certs.ca_pem)),
        provider(),
    )
    .build()
    .unwrap();
    verifier
        .verify_client_cert(&ders[0], &ders[1..], UnixTime::now())
        .unwrap();
}

#[test]
fn module_server_certificate_has_the_requested_names() {
    let dir = tempfile::tempdir().unwrap();
    let certs = HubCertificates::load_or_create(dir.path(), "gw.example").unwrap();
    let expiry = time::OffsetDateTime::now_utc() + time::Duration::days(2);
    let issued = certs
        .issue_server_certificate("edgehub.local", "$edgeHub", Some(expiry))
        .unwrap();
    assert_eq!(issued.expiration.unix_timestamp(), expiry.unix_timestamp());
    let leaf = CertificateDer::pem_slice_iter(issued.chain_pem.as_bytes())
        .next()
        .unwrap()
        .unwrap();
    // A server verifier that trusts only the CA accepts it for both names.
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots(&certs.ca_pem)),
        provider(),
    )
    .build()
    .unwrap();
    for name in ["edgehub.local", "edgeHub"] {
        let name = ServerName::try_from(name).unwrap();
        rustls::client::danger::ServerCertVerifier::verify_server_cert(
            verifier.as_ref(),
            &leaf,
            &[],
            &name,
            &[],
            UnixTime::now(),
        )
        .unwrap();
    }
    let contains = |needle: &[u8]| leaf.as_ref().windows(needle.len()).any(|w| w == needle);
    assert!(contains(b"edgehub.local"));
    assert!(contains(b"edgeHub") && !contains(b"$edgeHub"));

    let past = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    assert!(certs
        .issue_server_certificate("x", "m", Some(past))
        .is_err());
}
