//! Database URLs: `sqlite://path`, `postgresql://user:pass@host:port/db?opt=v`,
//! `mysql://...`, in SQLAlchemy's spellings.
//!
//! Parsing never panics; a bad URL is an [`Error::Configuration`] naming the bad part. The
//! password is kept but never shown: `Debug` and `Display` print `***` in its place.

use std::fmt;

use crate::error::{Error, Result};

/// Which database a URL points at.
///
/// ```
/// use aludel::engine::{Backend, Url};
/// assert_eq!(Url::parse("mariadb://h/db").unwrap().backend(), Backend::MySql);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite (`sqlite://`).
    Sqlite,
    /// PostgreSQL (`postgresql://`, `postgres://`).
    Postgres,
    /// MySQL or MariaDB (`mysql://`, `mariadb://`).
    MySql,
}

impl Backend {
    /// The dialect name used in messages and by [`crate::dialects::by_name`].
    ///
    /// ```
    /// assert_eq!(aludel::engine::Backend::Postgres.name(), "postgresql");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
            Backend::MySql => "mysql",
        }
    }
}

/// A parsed database URL.
///
/// ```
/// use aludel::engine::Url;
/// let url = Url::parse("postgresql+psycopg2://scott:t%40ger@db.local:5433/shop?application_name=x").unwrap();
/// assert_eq!(url.username(), Some("scott"));
/// assert_eq!(url.password(), Some("t@ger"));
/// assert_eq!(url.host(), Some("db.local"));
/// assert_eq!(url.port(), Some(5433));
/// assert_eq!(url.database(), Some("shop"));
/// assert_eq!(url.query(), &[("application_name".to_string(), "x".to_string())]);
/// assert_eq!(url.to_string(), "postgresql+psycopg2://scott:***@db.local:5433/shop?application_name=x");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Url {
    backend: Backend,
    scheme: String,
    username: Option<String>,
    password: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    database: Option<String>,
    query: Vec<(String, String)>,
}

impl Url {
    /// Parses `url`; see the module documentation for the accepted forms.
    ///
    /// ```
    /// use aludel::engine::Url;
    /// assert_eq!(Url::parse("sqlite:///relative.db").unwrap().database(), Some("relative.db"));
    /// assert_eq!(Url::parse("sqlite:////abs/x.db").unwrap().database(), Some("/abs/x.db"));
    /// assert!(Url::parse("sqlite://").unwrap().is_memory());
    /// assert!(Url::parse("oracle://x").is_err());
    /// ```
    pub fn parse(url: &str) -> Result<Url> {
        let (scheme, rest) = url.split_once("://").ok_or_else(|| {
            Error::config(format!(
                "database URL has no scheme (expected e.g. 'sqlite://', 'postgresql://'): '{}'",
                first_chars(url)
            ))
        })?;
        let name = scheme.split('+').next().unwrap_or(scheme);
        let backend = match name.to_ascii_lowercase().as_str() {
            "sqlite" => Backend::Sqlite,
            "postgresql" | "postgres" => Backend::Postgres,
            "mysql" | "mariadb" => Backend::MySql,
            _ => {
                return Err(Error::config(format!(
                    "unknown database scheme '{}' (expected sqlite, postgresql, postgres, mysql or mariadb)",
                    first_chars(scheme)
                )));
            }
        };
        let (body, query) = match rest.split_once('?') {
            Some((b, q)) => (b, parse_query(q)?),
            None => (rest, Vec::new()),
        };
        let mut url = Url {
            backend,
            scheme: scheme.to_owned(),
            username: None,
            password: None,
            host: None,
            port: None,
            database: None,
            query,
        };
        if backend == Backend::Sqlite {
            url.database = sqlite_path(body);
        } else {
            url.parse_network(body)?;
        }
        Ok(url)
    }

    fn parse_network(&mut self, body: &str) -> Result<()> {
        let (userinfo, hostpart) = match body.rfind('@') {
            Some(at) => (Some(&body[..at]), &body[at + 1..]),
            None => (None, body),
        };
        if let Some(info) = userinfo {
            let (user, pass) = match info.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (info, None),
            };
            self.username = Some(decode(user, "user name")?).filter(|u| !u.is_empty());
            self.password = match pass {
                Some(p) => Some(decode(p, "password")?),
                None => None,
            };
        }
        let (authority, database) = match hostpart.split_once('/') {
            Some((a, d)) => (a, Some(d)),
            None => (hostpart, None),
        };
        if let Some(db) = database.filter(|d| !d.is_empty()) {
            self.database = Some(decode(db, "database name")?);
        }
        let (host, port) = split_host_port(authority)?;
        self.host = Some(decode(host, "host")?).filter(|h| !h.is_empty());
        self.port = port;
        Ok(())
    }

    /// The database kind.
    ///
    /// ```
    /// use aludel::engine::{Backend, Url};
    /// assert_eq!(Url::parse("postgres://h/db").unwrap().backend(), Backend::Postgres);
    /// ```
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The scheme as written, driver suffix included (`mysql+mysqlconnector`).
    ///
    /// ```
    /// assert_eq!(aludel::engine::Url::parse("mysql+pymysql://h/d").unwrap().scheme(), "mysql+pymysql");
    /// ```
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The percent-decoded user name.
    ///
    /// ```
    /// assert_eq!(aludel::engine::Url::parse("mysql://r%20t@h/d").unwrap().username(), Some("r t"));
    /// ```
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The percent-decoded password. It is never shown by `Debug` or `Display`.
    ///
    /// ```
    /// let url = aludel::engine::Url::parse("mysql://u:secret@h/d").unwrap();
    /// assert_eq!(url.password(), Some("secret"));
    /// assert!(!format!("{url:?} {url}").contains("secret"));
    /// ```
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The host name or address (IPv6 addresses without brackets).
    ///
    /// ```
    /// assert_eq!(aludel::engine::Url::parse("postgresql://[::1]:5432/d").unwrap().host(), Some("::1"));
    /// ```
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// The port, when given.
    ///
    /// ```
    /// assert_eq!(aludel::engine::Url::parse("postgresql://h:6000/d").unwrap().port(), Some(6000));
    /// ```
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The database name; for SQLite the file path, or `None` for an in-memory database.
    ///
    /// ```
    /// assert_eq!(aludel::engine::Url::parse("sqlite://app.db").unwrap().database(), Some("app.db"));
    /// ```
    pub fn database(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// The query-string options, percent-decoded, in order.
    ///
    /// ```
    /// let url = aludel::engine::Url::parse("sqlite://x.db?busy_timeout=100").unwrap();
    /// assert_eq!(url.query_value("busy_timeout"), Some("100"));
    /// ```
    pub fn query(&self) -> &[(String, String)] {
        &self.query
    }

    /// The value of query option `key`, if given (the last one wins).
    ///
    /// ```
    /// assert_eq!(aludel::engine::Url::parse("sqlite://x.db").unwrap().query_value("k"), None);
    /// ```
    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Adds or replaces query option `key` (used for connect arguments).
    ///
    /// ```
    /// let url = aludel::engine::Url::parse("sqlite://x.db").unwrap().with_query("busy_timeout", "10");
    /// assert_eq!(url.query_value("busy_timeout"), Some("10"));
    /// ```
    pub fn with_query(mut self, key: impl Into<String>, value: impl Into<String>) -> Url {
        let key = key.into();
        self.query.retain(|(k, _)| *k != key);
        self.query.push((key, value.into()));
        self
    }

    /// Removes query option `key`, returning its last value (options the engine itself
    /// reads, kept from the driver).
    pub(crate) fn take_query(&mut self, key: &str) -> Option<String> {
        let value = self.query_value(key).map(str::to_owned);
        self.query.retain(|(k, _)| k != key);
        value
    }

    /// Whether this is an in-memory SQLite database.
    ///
    /// ```
    /// assert!(aludel::engine::Url::parse("sqlite://:memory:").unwrap().is_memory());
    /// ```
    pub fn is_memory(&self) -> bool {
        self.backend == Backend::Sqlite && self.database.is_none()
    }
}

/// SQLAlchemy's SQLite forms: `sqlite://` and `sqlite://:memory:` (memory),
/// `sqlite:///rel.db` (relative), `sqlite:////abs.db` (absolute), and the plain
/// `sqlite://path` that many Rust crates use.
fn sqlite_path(body: &str) -> Option<String> {
    let path = body.strip_prefix('/').unwrap_or(body);
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(path.to_owned())
    }
}

fn split_host_port(authority: &str) -> Result<(&str, Option<u16>)> {
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let (host, after) = inner.split_once(']').ok_or_else(|| {
            Error::config(format!(
                "unclosed '[' in the host part of the URL: '{}'",
                first_chars(authority)
            ))
        })?;
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(p) => (host, Some(p)),
                None => {
                    return Err(Error::config(format!(
                        "unexpected text after the IPv6 address: '{}'",
                        first_chars(after)
                    )));
                }
            },
        }
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        // Only a bracketed IPv6 address may hold ':' or brackets; anything else would be
        // read back differently once rendered.
        if host.contains([':', '[', ']']) {
            return Err(Error::config(format!(
                "unexpected ':', '[' or ']' in the host '{}' of the URL (an IPv6 address goes in brackets: [::1]:5432)",
                first_chars(host)
            )));
        }
        (host, port)
    };
    let port = match port {
        None | Some("") => None,
        Some(p) => Some(p.parse::<u16>().map_err(|_| {
            Error::config(format!(
                "invalid port '{}' in database URL (expected a number 0-65535)",
                first_chars(p)
            ))
        })?),
    };
    Ok((host, port))
}

fn parse_query(query: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(k, "query option name")?;
        if key.is_empty() {
            return Err(Error::config("empty query option name in database URL"));
        }
        let value = decode(v, &format!("value of query option '{key}'"))?;
        out.push((key, value));
    }
    Ok(out)
}

/// Percent-decodes `s`; `what` names the URL part in the error (its text is not shown, as it
/// may be a password).
pub(crate) fn decode(s: &str, what: &str) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    Error::config(format!("invalid percent-encoding in the {what} of the URL"))
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| Error::config(format!("the {what} of the URL is not valid UTF-8")))
}

/// Percent-encodes everything but unreserved characters, for rendering URL parts.
///
/// ```
/// assert_eq!(aludel::engine::url_encode("a b@c"), "a%20b%40c");
/// ```
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The start of user text for an error message, bounded so a huge input stays readable.
fn first_chars(s: &str) -> String {
    let cut: String = s.chars().take(60).collect();
    if cut.len() < s.len() {
        format!("{cut}...")
    } else {
        cut
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme)?;
        if self.backend == Backend::Sqlite {
            match &self.database {
                Some(path) => write!(f, "/{path}")?,
                None => write!(f, ":memory:")?,
            }
        } else {
            if self.username.is_some() || self.password.is_some() {
                if let Some(u) = &self.username {
                    f.write_str(&url_encode(u))?;
                }
                if self.password.is_some() {
                    f.write_str(":***")?;
                }
                f.write_str("@")?;
            }
            if let Some(h) = &self.host {
                if h.contains(':') {
                    // Each piece between the colons encoded, so a decoded ']' stays inside.
                    let pieces: Vec<String> = h.split(':').map(url_encode).collect();
                    write!(f, "[{}]", pieces.join(":"))?;
                } else {
                    f.write_str(&url_encode(h))?;
                }
            }
            if let Some(p) = self.port {
                write!(f, ":{p}")?;
            }
            if let Some(d) = &self.database {
                write!(f, "/{}", url_encode(d))?;
            }
        }
        for (i, (k, v)) in self.query.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            write!(f, "{sep}{}={}", url_encode(k), url_encode(v))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Url({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlalchemy_sqlite_forms_map_to_paths() {
        let path = |u: &str| Url::parse(u).unwrap().database().map(str::to_owned);
        assert_eq!(path("sqlite://"), None);
        assert_eq!(path("sqlite://:memory:"), None);
        assert_eq!(path("sqlite:///:memory:"), None);
        assert_eq!(path("sqlite:///rel.db").as_deref(), Some("rel.db"));
        assert_eq!(path("sqlite:////abs.db").as_deref(), Some("/abs.db"));
        assert_eq!(path("sqlite://dir/x.db").as_deref(), Some("dir/x.db"));
    }

    #[test]
    fn bad_port_is_named_in_the_error() {
        let err = Url::parse("postgresql://u:pw@h:99999/d")
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid port '99999'"), "{err}");
        assert!(!err.contains("pw"), "{err}");
    }

    #[test]
    fn bad_password_encoding_never_shows_the_password() {
        let err = Url::parse("mysql://u:sec%zzret@h/d")
            .unwrap_err()
            .to_string();
        assert!(err.contains("password") && !err.contains("sec"), "{err}");
    }
}
