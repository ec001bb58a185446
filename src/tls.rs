//! HTTPS on a second port (issue 14, item 2): the TLS server configuration, from a certificate
//! and key the user gives (PEM files) or from a certificate generated at start.
//!
//! Most vendor SDKs hard-code `https://`, so an emulator that only speaks plain HTTP cannot be
//! reached by them. The generated certificate is a leaf for `localhost`, `127.0.0.1`, `::1` and
//! any extra names, signed by a CA made at the same moment; the CA certificate (not its key,
//! which never leaves the process) is written to the path the user names, so a client can trust
//! it as it would trust a company CA. A new CA is made at every start.
//!
//! TLS is rustls with the `ring` provider: reqwest's rustls client already compiles ring, so the
//! server adds no second crypto library (aws-lc-rs would add a C build; see the README's
//! "HTTPS" section for the measured cost). Only HTTP/1.1 is offered in ALPN, as on the plain
//! port.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub use tokio_rustls::TlsAcceptor;

/// The names every generated leaf certificate is valid for.
pub const DEFAULT_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// How long a generated leaf certificate is valid from its start: a year, under the 825 days
/// that Apple platforms accept for a server certificate even from a user-trusted CA.
const LEAF_VALIDITY: Duration = Duration::from_secs(365 * 86_400);

/// How long a generated CA certificate is valid: ten years (it is remade at every start anyway).
const CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 86_400);

/// How far back a generated certificate's validity starts, so a client whose clock is a little
/// behind still accepts it.
const BACKDATE: Duration = Duration::from_secs(86_400);

/// Where the HTTPS port's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertSource {
    /// A certificate chain and its private key, PEM files given by `--tls-cert` and `--tls-key`.
    Files {
        /// The certificate chain, leaf first (PEM `CERTIFICATE` blocks).
        cert: PathBuf,
        /// The private key (PEM: PKCS#8, PKCS#1 RSA or SEC1 EC).
        key: PathBuf,
    },
    /// A CA and a leaf generated at start.
    Generated {
        /// Names (DNS names or IP addresses) the leaf is valid for besides [`DEFAULT_NAMES`].
        extra_names: Vec<String>,
        /// Where the CA certificate (PEM) is written, atomically, if anywhere.
        ca_out: Option<PathBuf>,
    },
}

/// The certificate and key the HTTPS port serves.
#[derive(Debug)]
pub struct ServerIdentity {
    /// The chain the server sends, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key.
    pub key: PrivateKeyDer<'static>,
    /// The generated CA certificate in PEM, when the identity was generated.
    pub ca_pem: Option<String>,
}

/// Builds the identity `source` describes: reads the PEM files, or generates a CA and a leaf and
/// writes the CA certificate to `ca_out`. Errors name the file or flag at fault.
pub fn identity(source: &CertSource) -> Result<ServerIdentity, String> {
    match source {
        CertSource::Files { cert, key } => load(cert, key),
        CertSource::Generated {
            extra_names,
            ca_out,
        } => {
            let identity = generate(extra_names, SystemTime::now())?;
            if let (Some(path), Some(pem)) = (ca_out, &identity.ca_pem) {
                write_atomically(path, pem.as_bytes())
                    .map_err(|e| format!("cannot write --tls-ca-out {}: {e}", path.display()))?;
            }
            Ok(identity)
        }
    }
}

/// The acceptor for `identity`: rustls with the ring provider, TLS 1.2 and 1.3, ALPN
/// `http/1.1`.
pub fn acceptor(identity: ServerIdentity) -> Result<TlsAcceptor, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?
        .with_no_client_auth()
        .with_single_cert(identity.chain, identity.key)
        .map_err(|e| format!("the TLS certificate and key do not make a server identity: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Reads a PEM certificate chain and private key.
fn load(cert: &Path, key: &Path) -> Result<ServerIdentity, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            format!(
                "cannot read --tls-cert {}: {}",
                cert.display(),
                pem_error(&e)
            )
        })?;
    if chain.is_empty() {
        return Err(format!(
            "--tls-cert {} holds no PEM CERTIFICATE block",
            cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("cannot read --tls-key {}: {}", key.display(), pem_error(&e)))?;
    Ok(ServerIdentity {
        chain,
        key,
        ca_pem: None,
    })
}

/// A PEM reading error in words: the I/O error itself when there is one.
fn pem_error(e: &rustls::pki_types::pem::Error) -> String {
    match e {
        rustls::pki_types::pem::Error::Io(io) => io.to_string(),
        rustls::pki_types::pem::Error::NoItemsFound => "no PEM block of the expected kind".into(),
        other => format!("{other:?}"),
    }
}

/// Generates a CA and a leaf for [`DEFAULT_NAMES`] and `extra_names`, valid from a day before
/// `now`. The chain served is leaf then CA.
pub fn generate(extra_names: &[String], now: SystemTime) -> Result<ServerIdentity, String> {
    let fail = |e: rcgen::Error| format!("cannot generate the TLS certificate: {e}");
    let start = now.checked_sub(BACKDATE).unwrap_or(now);
    let ca_key = KeyPair::generate().map_err(fail)?;
    let ca = CertifiedIssuer::self_signed(ca_params(start)?, ca_key).map_err(fail)?;
    let leaf_key = KeyPair::generate().map_err(fail)?;
    let leaf = leaf_params(extra_names, start)?
        .signed_by(&leaf_key, &ca)
        .map_err(fail)?;
    Ok(ServerIdentity {
        chain: vec![leaf.der().clone(), ca.der().clone()],
        key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into(),
        ca_pem: Some(ca.pem()),
    })
}

fn ca_params(start: SystemTime) -> Result<CertificateParams, String> {
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, "tim-emulator local CA");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "tim-emulator");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = datetime(start)?;
    params.not_after = datetime(start + CA_VALIDITY)?;
    Ok(params)
}

fn leaf_params(extra_names: &[String], start: SystemTime) -> Result<CertificateParams, String> {
    let mut names: Vec<String> = DEFAULT_NAMES.iter().map(|n| n.to_string()).collect();
    for name in extra_names {
        let name = name.trim();
        if !name.is_empty() && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    let mut params = CertificateParams::new(names)
        .map_err(|e| format!("--tls-names holds a name a certificate cannot carry: {e}"))?;
    params
        .distinguished_name
        .push(DnType::CommonName, "tim-emulator");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = datetime(start)?;
    params.not_after = datetime(start + LEAF_VALIDITY)?;
    Ok(params)
}

fn datetime(at: SystemTime) -> Result<time::OffsetDateTime, String> {
    let secs = at
        .duration_since(UNIX_EPOCH)
        .map_err(|_| "the system clock is before 1970".to_string())?
        .as_secs();
    time::OffsetDateTime::from_unix_timestamp(secs as i64)
        .map_err(|e| format!("the system clock is out of range: {e}"))
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so a
/// reader sees the old file or the whole new one, never a part.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path names no file")
    })?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_identity_serves_the_leaf_then_the_ca() {
        let id = generate(&["emulator".into()], SystemTime::now()).expect("generated");
        assert_eq!(id.chain.len(), 2);
        assert!(
            id.ca_pem
                .as_deref()
                .is_some_and(|p| p.starts_with("-----BEGIN CERTIFICATE-----"))
        );
        assert!(acceptor(id).is_ok());
    }

    #[test]
    fn a_name_no_certificate_can_carry_is_refused_naming_the_flag() {
        let err = generate(&["bücher.example".into()], SystemTime::now());
        assert!(err.is_err_and(|e| e.contains("--tls-names")));
    }

    #[test]
    fn a_missing_key_file_is_named_in_the_error() {
        let dir = std::env::temp_dir().join(format!("tim-tls-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let id = generate(&[], SystemTime::now()).expect("generated");
        let cert = dir.join("cert.pem");
        let pem = rcgen_pem(&id.chain[0]);
        std::fs::write(&cert, pem).expect("cert written");
        let missing = dir.join("missing-key.pem");
        let err = load(&cert, &missing).expect_err("no key file");
        assert!(
            err.contains("--tls-key") && err.contains("missing-key.pem"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_atomic_write_leaves_only_the_named_file() {
        let dir = std::env::temp_dir().join(format!("tim-tls-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("ca.pem");
        write_atomically(&path, b"one").expect("written");
        write_atomically(&path, b"two").expect("rewritten");
        assert_eq!(std::fs::read(&path).expect("read"), b"two");
        let entries = std::fs::read_dir(&dir).expect("listed").count();
        assert_eq!(entries, 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn rcgen_pem(der: &CertificateDer<'_>) -> String {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap_or(""))
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    }
}
