//! Building and signing certificates with rcgen: the local CA, the hub's TLS server
//! certificate, and module certificates for the workload API.

use std::io;

use rand::RngCore;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use time::{Duration, OffsetDateTime};

/// Common name of the local CA (the trust bundle root).
pub(crate) const CA_COMMON_NAME: &str = "edgemodule-hub local CA";

/// How long a new CA is valid.
pub(crate) const CA_VALIDITY: Duration = Duration::days(3650);
/// How long a new hub server certificate is valid.
pub(crate) const SERVER_VALIDITY: Duration = Duration::days(365);
/// Default validity of module certificates issued through the workload API.
pub(crate) const MODULE_CERT_VALIDITY: Duration = Duration::days(90);
/// Back-dating of `notBefore`, so small clock differences never make a new cert "not yet valid".
const BACKDATE: Duration = Duration::hours(1);

/// A freshly issued certificate and its key.
#[derive(Debug, Clone)]
pub struct IssuedCertificate {
    /// The certificate followed by the CA certificate (PEM).
    pub chain_pem: String,
    /// The private key, PKCS#8 PEM.
    pub key_pem: String,
    /// `notAfter` of the certificate.
    pub expiration: OffsetDateTime,
}

fn rcgen_err(what: &str) -> impl Fn(rcgen::Error) -> io::Error + '_ {
    move |e| io::Error::other(format!("{what}: {e}"))
}

fn random_serial() -> io::Result<SerialNumber> {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(io::Error::other)?;
    bytes[0] &= 0x7f; // positive INTEGER
    bytes[0] |= 0x01; // no leading zero byte, so the length is stable
    Ok(SerialNumber::from_slice(&bytes))
}

/// The CA's subject and usages. Rebuilt identically on every start: an rcgen `Issuer`
/// needs only the subject, key usages and key-id method, plus the persisted key.
pub(crate) fn ca_params(not_after: OffsetDateTime) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_COMMON_NAME);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = OffsetDateTime::now_utc() - BACKDATE;
    params.not_after = not_after;
    params
}

/// A new self-signed CA: (certificate PEM, key PEM, notAfter).
pub(crate) fn new_ca() -> io::Result<(String, String, OffsetDateTime)> {
    let key = KeyPair::generate().map_err(rcgen_err("generating the CA key"))?;
    let not_after = OffsetDateTime::now_utc() + CA_VALIDITY;
    let mut params = ca_params(not_after);
    params.serial_number = Some(random_serial()?);
    let cert = params
        .self_signed(&key)
        .map_err(rcgen_err("self-signing the CA"))?;
    Ok((cert.pem(), key.serialize_pem(), not_after))
}

/// The signing side of the persisted CA.
pub(crate) struct CaSigner {
    pub ca_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl CaSigner {
    pub(crate) fn new(ca_pem: &str, ca_key_pem: &str) -> io::Result<CaSigner> {
        let key = KeyPair::from_pem(ca_key_pem).map_err(rcgen_err("reading the CA key"))?;
        let params = ca_params(OffsetDateTime::now_utc() + CA_VALIDITY);
        Ok(CaSigner {
            ca_pem: ca_pem.to_string(),
            issuer: Issuer::new(params, key),
        })
    }

    /// Signs a leaf certificate with a fresh key.
    fn issue(
        &self,
        common_name: &str,
        sans: Vec<SanType>,
        usage: ExtendedKeyUsagePurpose,
        not_after: OffsetDateTime,
    ) -> io::Result<IssuedCertificate> {
        let key = KeyPair::generate().map_err(rcgen_err("generating a key"))?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        params.distinguished_name = dn;
        params.subject_alt_names = sans;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![usage];
        params.use_authority_key_identifier_extension = true;
        params.serial_number = Some(random_serial()?);
        params.not_before = OffsetDateTime::now_utc() - BACKDATE;
        params.not_after = not_after;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(rcgen_err("signing a certificate"))?;
        Ok(IssuedCertificate {
            chain_pem: format!("{}{}", cert.pem(), self.ca_pem),
            key_pem: key.serialize_pem(),
            expiration: not_after,
        })
    }

    /// A TLS server certificate: CN `common_name`, SANs `names` (DNS names or IP addresses).
    pub(crate) fn issue_server(
        &self,
        common_name: &str,
        names: &[String],
        not_after: OffsetDateTime,
    ) -> io::Result<IssuedCertificate> {
        let sans = names
            .iter()
            .map(|n| san_for(n))
            .collect::<io::Result<Vec<_>>>()?;
        self.issue(
            common_name,
            sans,
            ExtendedKeyUsagePurpose::ServerAuth,
            not_after,
        )
    }

    /// A module identity (client) certificate: CN = module id, SAN URI
    /// `azureiot://{hub}/devices/{d}/modules/{m}` (protocol.md §2.4).
    pub(crate) fn issue_identity(
        &self,
        hub: &str,
        device_id: &str,
        module_id: &str,
        not_after: OffsetDateTime,
    ) -> io::Result<IssuedCertificate> {
        let uri = format!("azureiot://{hub}/devices/{device_id}/modules/{module_id}");
        let uri = uri
            .try_into()
            .map_err(rcgen_err("identity certificate URI"))?;
        self.issue(
            module_id,
            vec![SanType::URI(uri)],
            ExtendedKeyUsagePurpose::ClientAuth,
            not_after,
        )
    }
}

/// A DNS or IP subject alternative name.
fn san_for(name: &str) -> io::Result<SanType> {
    if let Ok(ip) = name.parse::<std::net::IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let dns = name
        .to_string()
        .try_into()
        .map_err(rcgen_err("certificate host name"))?;
    Ok(SanType::DnsName(dns))
}
