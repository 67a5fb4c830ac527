//! URL parsing: SQLAlchemy's forms, driver suffixes, percent-decoding, errors naming the
//! bad part, passwords never shown; property tests for panics and round trips.

use aludel::Error;
use aludel::engine::{Backend, Engine, Url, url_encode};
use proptest::prelude::*;

#[test]
fn network_urls_parse_every_part() {
    let url = Url::parse(
        "postgresql://scott:tiger@localhost:5433/mydb?application_name=app&options=-c%20x%3Dy",
    )
    .unwrap();
    assert_eq!(url.backend(), Backend::Postgres);
    assert_eq!(url.username(), Some("scott"));
    assert_eq!(url.password(), Some("tiger"));
    assert_eq!(url.host(), Some("localhost"));
    assert_eq!(url.port(), Some(5433));
    assert_eq!(url.database(), Some("mydb"));
    assert_eq!(url.query_value("options"), Some("-c x=y"));
    let url = Url::parse("mysql://root@127.0.0.1/test").unwrap();
    assert_eq!(
        (url.username(), url.password(), url.port()),
        (Some("root"), None, None)
    );
}

#[test]
fn scheme_aliases_and_driver_suffixes_mean_our_driver() {
    for (u, backend) in [
        ("postgres://h/d", Backend::Postgres),
        ("postgresql+psycopg2://h/d", Backend::Postgres),
        ("mysql+mysqlconnector://h/d", Backend::MySql),
        ("mariadb+pymysql://h/d", Backend::MySql),
        ("sqlite+pysqlite:///x.db", Backend::Sqlite),
    ] {
        assert_eq!(Url::parse(u).unwrap().backend(), backend, "{u}");
    }
}

#[test]
fn sqlite_forms_follow_sqlalchemy() {
    let db = |u: &str| Url::parse(u).unwrap().database().map(str::to_owned);
    assert_eq!(db("sqlite://"), None);
    assert_eq!(db("sqlite://:memory:"), None);
    assert_eq!(db("sqlite:///relative.db").as_deref(), Some("relative.db"));
    assert_eq!(
        db("sqlite:////absolute.db").as_deref(),
        Some("/absolute.db")
    );
    assert_eq!(db("sqlite://plain.db").as_deref(), Some("plain.db"));
}

#[test]
fn percent_encoded_credentials_are_decoded() {
    let url = Url::parse("postgresql://us%40er:p%40ss%3Aw%2Fd@h/d").unwrap();
    assert_eq!(url.username(), Some("us@er"));
    assert_eq!(url.password(), Some("p@ss:w/d"));
}

#[test]
fn bad_urls_are_configuration_errors_naming_the_part() {
    let cases = [
        ("nothing-here", "no scheme"),
        ("oracle://h/d", "unknown database scheme 'oracle'"),
        ("postgresql://h:port/d", "invalid port 'port'"),
        ("postgresql://[::1/d", "unclosed '['"),
        // Found by the url fuzz target: a host with a stray ':' or ']' outside brackets
        // used to parse, and its rendering then did not.
        (
            "postgres://u@1]:5432x:/d",
            "unexpected ':', '[' or ']' in the host '1]:5432x'",
        ),
        (
            "postgres://h:1:2/d",
            "unexpected ':', '[' or ']' in the host 'h:1'",
        ),
        ("mysql://u:p@h/d?=x", "empty query option name"),
        ("mysql://u:p%zz@h/d", "password"),
    ];
    for (url, needle) in cases {
        match Url::parse(url) {
            Err(Error::Configuration { message }) => {
                assert!(message.contains(needle), "{url}: {message}");
            }
            other => panic!("{url}: expected a configuration error, got {other:?}"),
        }
    }
    let err = aludel::create_engine("sqlite://x.db?bogus=1")
        .and_then(|e| e.connect().map(|_| ()))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown SQLite connection option 'bogus'"),
        "{err}"
    );
    let _ = std::fs::remove_file("x.db");
}

#[test]
fn a_bracketed_host_holding_an_encoded_bracket_renders_and_parses_back() {
    // Found by the url fuzz target: `[a%5Db:1]` decodes to the host `a]b:1`, which was
    // rendered as `[a]b:1]` and could not be read back.
    let url = Url::parse("postgresql://[a%5Db:1]:5432/d").unwrap();
    assert_eq!((url.host(), url.port()), (Some("a]b:1"), Some(5432)));
    let again = Url::parse(&url.to_string()).unwrap();
    assert_eq!((again.host(), again.port()), (url.host(), url.port()));
    // A plain IPv6 address still renders as written.
    assert_eq!(
        Url::parse("postgresql://[::1]:5432/d").unwrap().to_string(),
        "postgresql://[::1]:5432/d"
    );
}

#[test]
fn passwords_never_appear_in_display_debug_or_errors() {
    let url = Url::parse("postgresql://scott:s3cr3t@127.0.0.1:1/d").unwrap();
    assert_eq!(url.to_string(), "postgresql://scott:***@127.0.0.1:1/d");
    assert!(!format!("{url:?}").contains("s3cr3t"));
    let engine = Engine::builder("postgresql://scott:s3cr3t@127.0.0.1:1/d")
        .pool_timeout(std::time::Duration::from_millis(100))
        .build()
        .unwrap();
    assert!(!format!("{engine:?}").contains("s3cr3t"));
    if let Err(e) = engine.connect() {
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
        assert!(!format!("{e:?}").contains("s3cr3t"), "{e:?}");
    }
}

#[test]
fn connect_args_merge_into_the_url_options() {
    let engine = Engine::builder("sqlite://")
        .connect_arg("busy_timeout", "250")
        .build()
        .unwrap();
    assert_eq!(engine.url().query_value("busy_timeout"), Some("250"));
    engine.connect().unwrap();
}

fn part() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 @:/?#&=%._~+!$'-]{1,12}"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics_on_arbitrary_input(s in "\\PC{0,80}") {
        let _ = Url::parse(&s);
        let _ = Url::parse(&format!("postgresql://{s}"));
        let _ = Url::parse(&format!("mysql://u:p@{s}"));
        let _ = Url::parse(&format!("sqlite://{s}"));
    }

    #[test]
    fn generated_network_urls_round_trip(
        scheme in prop::sample::select(vec!["postgresql", "postgres", "mysql", "mariadb", "mysql+mysqlconnector"]),
        user in part(),
        password in proptest::option::of(part()),
        host in "[a-z][a-z0-9.-]{0,15}",
        port in proptest::option::of(any::<u16>()),
        database in proptest::option::of(part()),
        query in proptest::collection::vec((part(), part()), 0..3),
    ) {
        let mut s = format!("{scheme}://{}", url_encode(&user));
        if let Some(p) = &password {
            s.push(':');
            s.push_str(&url_encode(p));
        }
        s.push('@');
        s.push_str(&host);
        if let Some(p) = port {
            s.push_str(&format!(":{p}"));
        }
        if let Some(d) = &database {
            s.push('/');
            s.push_str(&url_encode(d));
        }
        for (i, (k, v)) in query.iter().enumerate() {
            s.push(if i == 0 { '?' } else { '&' });
            s.push_str(&format!("{}={}", url_encode(k), url_encode(v)));
        }
        let url = Url::parse(&s).unwrap();
        prop_assert_eq!(url.scheme(), scheme);
        prop_assert_eq!(url.username(), Some(user.as_str()));
        prop_assert_eq!(url.password(), password.as_deref());
        prop_assert_eq!(url.host(), Some(host.as_str()));
        prop_assert_eq!(url.port(), port);
        prop_assert_eq!(url.database(), database.as_deref());
        prop_assert_eq!(url.query(), &query[..]);
        if let Some(p) = password.as_deref().filter(|p| p.len() > 3) {
            prop_assert!(!url.to_string().contains(&url_encode(p)));
        }
        // Display (password masked) parses back to the same URL but for the password.
        let shown = Url::parse(&url.to_string()).unwrap();
        prop_assert_eq!(shown.username(), url.username());
        prop_assert_eq!(shown.host(), url.host());
        prop_assert_eq!(shown.database(), url.database());
        prop_assert_eq!(shown.query(), url.query());
    }
}
