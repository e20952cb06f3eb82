//! What an operator can set: registration, quotas, rate limits, retention,
//! connection limits, and
//! the TOML file that sets them (`mycase-server init-config` writes a commented
//! one). Flags and environment variables override the file (see the binary's `args.rs`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ServerConfig;

/// Who may create an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    /// Anyone who can reach the server.
    #[default]
    Open,
    /// Only with a single-use code from `mycase-server invite create`.
    Invite,
}

/// Per-account and per-request ceilings. A request that would go over one is
/// refused with RESOURCE_EXHAUSTED before anything is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Quotas {
    /// Record and attachment bytes one account may store.
    pub storage_bytes_per_account: u64,
    /// The largest record ciphertext accepted (at most 1 MiB, the protocol's limit).
    pub max_record_bytes: u64,
    /// The most bytes of sealed chunks one upload (one `PutChunks` call, which the
    /// client uses per attachment) may carry.
    pub max_upload_bytes: u64,
    /// Devices one account may have in use (revoked ones do not count).
    pub devices_per_account: u32,
    /// `Watch` streams one device may hold open at once; more are refused.
    pub watches_per_device: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            storage_bytes_per_account: 2 * 1024 * 1024 * 1024,
            max_record_bytes: 1024 * 1024,
            max_upload_bytes: 1024 * 1024 * 1024,
            devices_per_account: 10,
            // The CLI keeps one; a few more cover reconnects the server has not
            // noticed yet.
            watches_per_device: 4,
        }
    }
}

/// Requests allowed per minute (a token bucket: bursts up to the same number);
/// 0 turns a limit off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    /// Registration, challenge, authentication and recovery calls from one address.
    pub auth_per_address: u32,
    /// Authentication attempts for one account's devices.
    pub auth_per_account: u32,
    pub appends_per_address: u32,
    pub appends_per_account: u32,
    /// Uploaded chunks.
    pub uploads_per_address: u32,
    pub uploads_per_account: u32,
    /// Share links created.
    pub shares_per_address: u32,
    pub shares_per_account: u32,
    /// Share fetches (browser or `mycase share open`), each counted before the
    /// link's access token is checked.
    pub share_fetches_per_address: u32,
    /// Pairing slots opened (`mycase pair`): one account, or one address, cannot
    /// fill the server's pairing table.
    pub pairings_per_address: u32,
    pub pairings_per_account: u32,
    /// Accounts deleted (`mycase delete-account`) from one address.
    pub deletions_per_address: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            auth_per_address: 120,
            auth_per_account: 60,
            appends_per_address: 1200,
            appends_per_account: 600,
            uploads_per_address: 6000,
            uploads_per_account: 3000,
            shares_per_address: 30,
            shares_per_account: 10,
            share_fetches_per_address: 120,
            pairings_per_address: 30,
            pairings_per_account: 10,
            deletions_per_address: 5,
        }
    }
}

/// How long a connection may take to start, stay silent or stay open, and how
/// many one address may hold: idle sockets are cheap to open and each holds a
/// file descriptor and memory until the server lets go of it. Seconds; 0 turns a
/// setting off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Connections {
    /// A connection that has not finished its TLS handshake by then is closed.
    pub tls_handshake_timeout_secs: u64,
    /// TCP keepalive probes on idle sockets, so a vanished peer's socket is closed.
    pub tcp_keepalive_secs: u64,
    /// HTTP/2 pings on an idle connection, and how long an answer may take
    /// before the connection is closed.
    pub http2_keepalive_interval_secs: u64,
    pub http2_keepalive_timeout_secs: u64,
    /// Open connections one address (an IPv6 host by its /64) may hold; more are
    /// closed as soon as they are accepted.
    pub max_per_address: u32,
    /// A connection older than this is asked to close (clients reconnect), and
    /// closed after the grace period if it has not.
    pub max_age_secs: u64,
    pub max_age_grace_secs: u64,
}

impl Default for Connections {
    fn default() -> Self {
        Self {
            tls_handshake_timeout_secs: 10,
            tcp_keepalive_secs: 60,
            http2_keepalive_interval_secs: 60,
            http2_keepalive_timeout_secs: 20,
            // Devices behind one NAT (a shelter, a mobile carrier) share an address.
            max_per_address: 100,
            max_age_secs: 6 * 3600,
            max_age_grace_secs: 60,
        }
    }
}

/// What the janitor deletes on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Retention {
    /// Erase accounts with no device activity for this many days; 0 = never (the default).
    pub erase_inactive_after_days: u32,
    /// The most accounts one sweep erases (the rest wait for the next sweep).
    pub max_erasures_per_sweep: u32,
    /// A sweep erases nothing when more than this many accounts qualify at once
    /// and they are also more than `mass_erasure_percent` of all accounts: a
    /// clock jumped forward, not months of disuse, makes that many go idle together.
    pub mass_erasure_min_accounts: u32,
    pub mass_erasure_percent: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            erase_inactive_after_days: 0,
            max_erasures_per_sweep: 100,
            mass_erasure_min_accounts: 5,
            mass_erasure_percent: 10,
        }
    }
}

/// The config file, every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub registration: Option<RegistrationMode>,
    pub cache_capacity_bytes: Option<u64>,
    pub quotas: Option<Quotas>,
    pub rate_limits: Option<RateLimits>,
    pub retention: Option<Retention>,
    pub connections: Option<Connections>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading the config file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the config file {path} is not valid")]
    Parse {
        path: PathBuf,
        #[source]
        source: Box<toml::de::Error>,
    },
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source: Box::new(source),
        })
    }

    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// Sets on `config` what the file sets (the data directory is chosen by the
    /// caller before this, since the default file lives in it).
    pub fn apply(&self, config: &mut ServerConfig) {
        if let Some(listen) = self.listen {
            config.listen = listen;
        }
        if let Some(cert) = &self.tls_cert {
            config.tls_cert = Some(cert.clone());
        }
        if let Some(key) = &self.tls_key {
            config.tls_key = Some(key.clone());
        }
        if let Some(mode) = self.registration {
            config.registration = mode;
        }
        if let Some(bytes) = self.cache_capacity_bytes {
            config.cache_capacity_bytes = bytes;
        }
        if let Some(q) = self.quotas {
            config.quotas = q;
        }
        if let Some(r) = self.rate_limits {
            config.rate_limits = r;
        }
        if let Some(r) = self.retention {
            config.retention = r;
        }
        if let Some(c) = self.connections {
            config.connections = c;
        }
    }
}

/// The file `init-config` writes: every setting, commented, at its default.
pub fn template() -> String {
    let q = Quotas::default();
    let r = RateLimits::default();
    let c = Connections::default();
    let ret = Retention::default();
    format!(
        r#"# mycase-server configuration. Flags and MYCASE_* environment variables
# override what is set here. Every key is optional; shown are the defaults.

# Address and port to listen on (MYCASE_LISTEN, --listen).
listen = "127.0.0.1:7443"

# Database, chunk files, generated certificate and admin socket (MYCASE_DATA_DIR, --data-dir).
# data_dir = "/var/lib/mycase"

# A real certificate chain and its key, PEM (for Let's Encrypt: fullchain.pem and
# privkey.pem). Without them the server generates a self-signed one in data_dir.
# tls_cert = "/etc/mycase/fullchain.pem"
# tls_key = "/etc/mycase/privkey.pem"

# "open": anyone who reaches the server may create an account.
# "invite": only with a code from `mycase-server invite create` (MYCASE_REGISTRATION, --registration).
registration = "open"

# sled's page cache, bytes: the main part of the server's memory (MYCASE_CACHE_CAPACITY_BYTES).
cache_capacity_bytes = {cache}

[quotas]
# Record and attachment bytes one account may store.
storage_bytes_per_account = {storage}
# The largest record accepted (the protocol's ceiling is 1048576).
max_record_bytes = {record}
# The most chunk bytes one upload (one attachment) may carry.
max_upload_bytes = {upload}
# Devices per account in use (revoked ones do not count).
devices_per_account = {devices}
# Watch streams (live sync) one device may hold open at once.
watches_per_device = {watches}

[rate_limits]
# Requests per minute; bursts up to the same number; 0 turns a limit off.
auth_per_address = {auth_addr}
auth_per_account = {auth_acc}
appends_per_address = {app_addr}
appends_per_account = {app_acc}
uploads_per_address = {up_addr}
uploads_per_account = {up_acc}
shares_per_address = {sh_addr}
shares_per_account = {sh_acc}
share_fetches_per_address = {fetch_addr}
pairings_per_address = {pair_addr}
pairings_per_account = {pair_acc}
deletions_per_address = {del_addr}

[retention]
# Erase accounts not used for this many days. 0 = never (the default).
# Survivors may go months without writing: think hard before turning this on.
erase_inactive_after_days = 0
# The most accounts one sweep erases.
max_erasures_per_sweep = {max_erasures}
# A sweep erases nothing (and warns) when more than this many accounts, and more
# than this percent of all accounts, qualify at once: a clock jump, not disuse.
mass_erasure_min_accounts = {mass_min}
mass_erasure_percent = {mass_percent}

[connections]
# Seconds; 0 turns a setting off. A connection silent through its TLS handshake
# this long is closed.
tls_handshake_timeout_secs = {tls_timeout}
# TCP keepalive on idle sockets.
tcp_keepalive_secs = {tcp_keepalive}
# HTTP/2 pings on idle connections, and how long an answer may take.
http2_keepalive_interval_secs = {h2_interval}
http2_keepalive_timeout_secs = {h2_timeout}
# Open connections per address (an IPv6 host by its /64); more are closed at once.
# Devices behind one NAT share an address: keep this well above one per person.
max_per_address = {per_address}
# A connection older than this is asked to reconnect, and closed after the grace.
max_age_secs = {max_age}
max_age_grace_secs = {max_age_grace}
"#,
        cache = crate::store::sled::CACHE_BYTES,
        storage = q.storage_bytes_per_account,
        record = q.max_record_bytes,
        upload = q.max_upload_bytes,
        devices = q.devices_per_account,
        watches = q.watches_per_device,
        max_erasures = ret.max_erasures_per_sweep,
        mass_min = ret.mass_erasure_min_accounts,
        mass_percent = ret.mass_erasure_percent,
        auth_addr = r.auth_per_address,
        auth_acc = r.auth_per_account,
        app_addr = r.appends_per_address,
        app_acc = r.appends_per_account,
        up_addr = r.uploads_per_address,
        up_acc = r.uploads_per_account,
        sh_addr = r.shares_per_address,
        sh_acc = r.shares_per_account,
        fetch_addr = r.share_fetches_per_address,
        pair_addr = r.pairings_per_address,
        pair_acc = r.pairings_per_account,
        del_addr = r.deletions_per_address,
        tls_timeout = c.tls_handshake_timeout_secs,
        tcp_keepalive = c.tcp_keepalive_secs,
        h2_interval = c.http2_keepalive_interval_secs,
        h2_timeout = c.http2_keepalive_timeout_secs,
        per_address = c.max_per_address,
        max_age = c.max_age_secs,
        max_age_grace = c.max_age_grace_secs,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_template_parses_to_the_defaults() {
        let file = FileConfig::parse(&template()).unwrap();
        let mut c = ServerConfig::new("/tmp/x");
        let defaults = c.clone();
        file.apply(&mut c);
        assert_eq!(c.listen, defaults.listen);
        assert_eq!(c.quotas, Quotas::default());
        assert_eq!(c.rate_limits, RateLimits::default());
        assert_eq!(c.retention, Retention::default());
        assert_eq!(c.connections, Connections::default());
        assert_eq!(c.registration, RegistrationMode::Open);
        assert_eq!(c.cache_capacity_bytes, defaults.cache_capacity_bytes);
    }

    #[test]
    fn partial_sections_keep_the_other_defaults() {
        let file =
            FileConfig::parse("registration = \"invite\"\n[quotas]\ndevices_per_account = 3\n")
                .unwrap();
        let mut c = ServerConfig::new("/tmp/x");
        file.apply(&mut c);
        assert_eq!(c.registration, RegistrationMode::Invite);
        assert_eq!(c.quotas.devices_per_account, 3);
        assert_eq!(
            c.quotas.storage_bytes_per_account,
            Quotas::default().storage_bytes_per_account
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(FileConfig::parse("listn = \"1.2.3.4:5\"\n").is_err());
        assert!(FileConfig::parse("[quotas]\nstorage = 5\n").is_err());
        assert!(FileConfig::parse("registration = \"closed\"\n").is_err());
    }
}
