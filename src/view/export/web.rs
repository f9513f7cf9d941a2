//! `--web-config FILE`: TLS and basic auth for `/metrics`, in the YAML
//! format of the Prometheus exporter-toolkit, so one file serves routetop
//! and node_exporter alike (`promtool check web-config` checks it):
//!
//! ```yaml
//! tls_server_config:
//!   cert_file: routetop.crt      # relative to this file
//!   key_file: routetop.key
//!   min_version: TLS12           # or TLS13
//! http_server_config:
//!   headers:                     # added to every response
//!     Strict-Transport-Security: max-age=31536000
//! basic_auth_users:
//!   prometheus: $2y$10$...       # bcrypt hash (htpasswd -nBC 10 "" | tr -d ':\n')
//! ```
//!
//! Settings of the toolkit that routetop does not implement (client
//! certificates, cipher and curve choices, HTTP/2) are refused, not
//! ignored: a security setting that silently does nothing is worse than an
//! error. The file is read at start; restart to apply changes.
//!
//! YAML parser: `yaml-rust2` (pure Rust, maintained, MSRV below ours);
//! `serde_yaml` is deprecated and `serde-saphyr` needs a newer Rust.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use yaml_rust2::{Yaml, YamlLoader};

#[derive(Debug, thiserror::Error)]
#[error("web config {path}: {msg}")]
pub struct WebConfigError {
    pub path: String,
    pub msg: String,
}

/// The parsed web config.
#[derive(Clone)]
pub struct WebConfig {
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// User → bcrypt hash.
    pub users: BTreeMap<String, String>,
    /// Extra response headers.
    pub headers: Vec<(String, String)>,
}

impl std::fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print hashes.
        f.debug_struct("WebConfig")
            .field("tls", &self.tls.is_some())
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .field("headers", &self.headers)
            .finish()
    }
}

impl WebConfig {
    pub fn load(path: &Path) -> Result<WebConfig, WebConfigError> {
        let err = |msg: String| WebConfigError {
            path: path.display().to_string(),
            msg,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        WebConfig::parse(&text, base).map_err(err)
    }

    /// Parses the YAML text; relative file names are taken from `base`.
    pub fn parse(text: &str, base: &Path) -> Result<WebConfig, String> {
        let docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
        let mut cfg = WebConfig {
            tls: None,
            users: BTreeMap::new(),
            headers: Vec::new(),
        };
        let root = match docs.first() {
            None | Some(Yaml::Null) => return Ok(cfg),
            Some(d) => d,
        };
        for (k, v) in map(root, "the file")? {
            match key(k)? {
                "tls_server_config" => cfg.tls = tls(v, base)?,
                "basic_auth_users" => {
                    for (user, hash) in map(v, "basic_auth_users")? {
                        let user = scalar(user, "a user name")?;
                        let hash = scalar(hash, &format!("basic_auth_users.{user}"))?;
                        // Check now so a typo fails at start, not at the
                        // first scrape.
                        if hash.parse::<bcrypt::HashParts>().is_err() {
                            return Err(format!(
                                "basic_auth_users.{user}: not a bcrypt hash (htpasswd -nBC 10 \"\" | tr -d ':\\n')"
                            ));
                        }
                        cfg.users.insert(user, hash);
                    }
                }
                "http_server_config" => {
                    for (k, v) in map(v, "http_server_config")? {
                        match key(k)? {
                            "headers" => {
                                for (h, val) in map(v, "http_server_config.headers")? {
                                    let h = scalar(h, "a header name")?;
                                    let val = scalar(val, &h)?;
                                    if hyper::header::HeaderName::from_bytes(h.as_bytes()).is_err()
                                        || hyper::header::HeaderValue::from_str(&val).is_err()
                                    {
                                        return Err(format!("header {h:?}: invalid"));
                                    }
                                    cfg.headers.push((h, val));
                                }
                            }
                            "http2" if v.as_bool() == Some(false) => {}
                            other => return Err(unsupported("http_server_config", other)),
                        }
                    }
                }
                other => return Err(unsupported("", other)),
            }
        }
        Ok(cfg)
    }
}

fn unsupported(section: &str, k: &str) -> String {
    let at = if section.is_empty() {
        k.to_string()
    } else {
        format!("{section}.{k}")
    };
    format!("{at}: not supported by routetop (refused rather than ignored)")
}

fn map<'a>(y: &'a Yaml, what: &str) -> Result<Vec<(&'a Yaml, &'a Yaml)>, String> {
    match y {
        Yaml::Hash(h) => Ok(h.iter().collect()),
        Yaml::Null => Ok(Vec::new()),
        _ => Err(format!("{what} must be a mapping")),
    }
}

fn key(y: &Yaml) -> Result<&str, String> {
    y.as_str()
        .ok_or_else(|| format!("{y:?}: keys must be strings"))
}

fn scalar(y: &Yaml, what: &str) -> Result<String, String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Ok(s.clone()),
        Yaml::Integer(i) => Ok(i.to_string()),
        Yaml::Boolean(b) => Ok(b.to_string()),
        _ => Err(format!("{what} must be a string")),
    }
}

/// PEM text given inline or by file name.
enum Pem {
    File(PathBuf),
    Inline(String),
}

impl Pem {
    fn read(self, what: &str) -> Result<Vec<u8>, String> {
        match self {
            Pem::Inline(s) => Ok(s.into_bytes()),
            Pem::File(p) => std::fs::read(&p).map_err(|e| format!("{what} {}: {e}", p.display())),
        }
    }
}

fn tls(y: &Yaml, base: &Path) -> Result<Option<Arc<rustls::ServerConfig>>, String> {
    let (mut cert, mut key_pem, mut min13) = (None, None, false);
    let path = |s: String| -> PathBuf {
        let p = PathBuf::from(s);
        if p.is_absolute() { p } else { base.join(p) }
    };
    let entries = map(y, "tls_server_config")?;
    if entries.is_empty() {
        return Ok(None);
    }
    // Keys first, files after: an unsupported setting is the error to
    // report even when the files are missing too.
    for (k, v) in entries {
        let k = key(k)?;
        match k {
            "cert_file" => cert = Some(Pem::File(path(scalar(v, k)?))),
            "key_file" => key_pem = Some(Pem::File(path(scalar(v, k)?))),
            "cert" => cert = Some(Pem::Inline(scalar(v, k)?)),
            "key" => key_pem = Some(Pem::Inline(scalar(v, k)?)),
            "min_version" => match scalar(v, k)?.as_str() {
                "TLS12" => min13 = false,
                "TLS13" => min13 = true,
                o => {
                    return Err(format!(
                        "min_version {o:?}: routetop supports TLS12 and TLS13"
                    ));
                }
            },
            other => return Err(unsupported("tls_server_config", other)),
        }
    }
    let (Some(cert), Some(key_pem)) = (cert, key_pem) else {
        return Err("tls_server_config needs cert_file and key_file".into());
    };
    let (cert, key_pem) = (cert.read("cert_file")?, key_pem.read("key_file")?);
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("cert_file: {e}"))?;
    if certs.is_empty() {
        return Err("cert_file: no PEM certificate in it".into());
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| format!("key_file: {e}"))?;
    let provider = super::tls::provider();
    let versions: &[&rustls::SupportedProtocolVersion] = if min13 {
        &[&rustls::version::TLS13]
    } else {
        &[&rustls::version::TLS12, &rustls::version::TLS13]
    };
    let mut sc = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("cert_file/key_file: {e}"))?;
    sc.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(Arc::new(sc)))
}
