//! Horizontal sharding (`Session::sharded`, SQLAlchemy's `ext.horizontal_shard`): cities
//! and their weather reports spread over two shards by continent. One primary key on two
//! shards is two objects; `get` tries the shards in turn; queries across shards merge
//! their rows in ORDER BY order with LIMIT/OFFSET applied over all of them; pinning per
//! query and per session; flushes, refreshes, lazy and selectin loads go to the object's
//! (or its parent's) shard. Each test runs on two SQLite files (every run), on two
//! databases of the PostgreSQL and MariaDB test servers, and on the 5433/5434 PostgreSQL
//! clusters of `scripts/engines.sh`, with statement counts per shard.

mod common;

use aludel::engine::Backend;
use aludel::orm::{
    Many, Model, One, Session, SessionConfig, Sharding, SynchronizeSession, create_all,
    selectinload,
};
use aludel::sql::{Value, text};
use aludel::{Engine, Result, StatementRecorder};

use common::run_on_servers;

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "shard_cities")]
struct City {
    #[column(primary_key)]
    id: i64,
    #[column(max_len = 20)]
    continent: String,
    #[column(max_len = 40)]
    name: String,
    population: Option<i64>,
    #[relationship(back_populates = "city", order_by = "id")]
    reports: Many<Report>,
}

#[derive(aludel::Model, Debug, Clone)]
#[model(table = "shard_reports")]
struct Report {
    #[column(primary_key)]
    id: i64,
    #[column(foreign_key = "shard_cities.id")]
    city_id: Option<i64>,
    celsius: i64,
    #[relationship(back_populates = "reports")]
    city: One<City>,
}

fn city(id: i64, continent: &str, name: &str, population: Option<i64>) -> City {
    City {
        id,
        continent: continent.into(),
        name: name.into(),
        population,
        reports: Many::new(),
    }
}

fn report(id: i64, celsius: i64) -> Report {
    Report {
        id,
        city_id: None,
        celsius,
        city: One::new(),
    }
}

/// Shards "europe" (`shards[0]`) and "asia" (`shards[1]`): a city goes to its
/// continent's shard (a report to its city's), a query naming continents runs on
/// theirs, any other on both.
fn sharding(shards: &[Engine]) -> Sharding {
    Sharding::new()
        .shard("europe", &shards[0])
        .shard("asia", &shards[1])
        .shard_chooser(|o| Ok(o.text("continent")?.to_owned()))
        .execute_chooser(|q| {
            let named: Vec<String> = q
                .equals("continent")
                .into_iter()
                .filter_map(|v| match v {
                    Value::Text(t) => Some(t),
                    _ => None,
                })
                .collect();
            match named.is_empty() {
                true => vec!["europe".to_owned(), "asia".to_owned()],
                false => named,
            }
        })
}

fn session(shards: &[Engine]) -> Result<Session> {
    Session::sharded(sharding(shards), SessionConfig::default())
}

fn count(engine: &Engine, table: &str) -> Result<i64> {
    engine
        .connect()?
        .scalar::<i64>(&text(format!("SELECT count(*) FROM {table}")), ())
}

/// The SELECTs `rec` saw.
fn selects(rec: &StatementRecorder) -> Vec<String> {
    rec.statements()
        .into_iter()
        .filter(|q| q.starts_with("SELECT"))
        .collect()
}

fn names(cities: &[aludel::orm::Instance<City>]) -> Result<Vec<String>> {
    cities.iter().map(|c| Ok(c.read()?.name.clone())).collect()
}

/// Defines each test on two SQLite files, two databases of the PostgreSQL and of the
/// MariaDB test server, and the 5433/5434 clusters (the server ones print SKIPPED and
/// pass when their server is not configured).
macro_rules! sharding_tests {
    ($( fn $name:ident($shards:ident, $backend:ident) $body:block )*) => {$(
        mod $name {
            use super::*;

            fn body($shards: &[Engine], $backend: Backend) -> Result<()> $body

            fn on_servers(backend: Backend, vars: &[&'static str]) {
                run_on_servers(backend, vars, stringify!($name), |dbs| {
                    let engines: Vec<Engine> = dbs.iter().map(|d| (**d).clone()).collect();
                    create_all(&engines[0], &[City::info(), Report::info()])?;
                    create_all(&engines[1], &[City::info(), Report::info()])?;
                    body(&engines, backend)
                });
            }

            #[test]
            fn sqlite_files() {
                let engines: Vec<Engine> = ["europe", "asia"]
                    .iter()
                    .map(|shard| {
                        let path = std::env::temp_dir().join(format!(
                            "aludel_shard_{}_{shard}_{}.db",
                            stringify!($name),
                            std::process::id()
                        ));
                        let _ = std::fs::remove_file(&path);
                        let e = aludel::create_engine(&format!("sqlite:///{}", path.display()))?;
                        create_all(&e, &[City::info(), Report::info()])?;
                        Ok(e)
                    })
                    .collect::<Result<_>>()
                    .expect("shard files");
                body(&engines, Backend::Sqlite).expect(stringify!($name));
            }

            #[test]
            fn postgres() {
                on_servers(Backend::Postgres, &["ALUDEL_TEST_POSTGRES", "ALUDEL_TEST_POSTGRES"]);
            }

            #[test]
            fn postgres_clusters() {
                on_servers(Backend::Postgres, &["ALUDEL_TEST_PG_2PC", "ALUDEL_TEST_PG_2PC_SECOND"]);
            }

            #[test]
            fn mysql() {
                on_servers(Backend::MySql, &["ALUDEL_TEST_MYSQL", "ALUDEL_TEST_MYSQL"]);
            }
        }
    )*};
}

sharding_tests! {
    fn one_key_on_two_shards_is_two_objects_and_get_tries_the_shards_in_turn(shards, _backend) {
        let (europe, asia) = (&shards[0], &shards[1]);
        let s = session(shards)?;
        let paris = s.add(city(1, "europe", "paris", Some(2100)))?;
        let tokyo = s.add(city(1, "asia", "tokyo", Some(13900)))?;
        s.add(city(2, "asia", "osaka", Some(2700)))?;
        assert_eq!(s.shard_of(&tokyo), None);
        s.commit()?;
        assert_eq!((count(europe, "shard_cities")?, count(asia, "shard_cities")?), (1, 2));
        assert_eq!(s.shard_of(&paris).as_deref(), Some("europe"));
        assert_eq!(s.shard_of(&tokyo).as_deref(), Some("asia"));

        // Key 1 read from both shards: two objects, both held by the identity map.
        let s = session(shards)?;
        let ones = s.query::<City>().filter(City::id.eq(1)).order_by(City::name).all()?;
        assert_eq!(names(&ones)?, ["paris", "tokyo"]);
        assert!(!ones[0].ptr_eq(&ones[1]));
        assert_eq!(s.identity_count(), 2);
        assert_eq!(
            (s.shard_of(&ones[0]).as_deref(), s.shard_of(&ones[1]).as_deref()),
            (Some("europe"), Some("asia"))
        );

        // get(1): the identity map answers (the first shard's object), no SQL.
        let (on_europe, on_asia) = (europe.record_statements(), asia.record_statements());
        assert!(s.get::<City>(1)?.expect("city 1").ptr_eq(&ones[0]));
        assert_eq!((on_europe.count(), on_asia.count()), (0, 0));
        // get(2): europe is asked first (no row), then asia (the row); then no SQL.
        let osaka = s.get::<City>(2)?.expect("city 2");
        assert_eq!(osaka.read()?.name, "osaka");
        assert_eq!((selects(&on_europe).len(), selects(&on_asia).len()), (1, 1));
        assert!(s.get::<City>(2)?.expect("city 2").ptr_eq(&osaka));
        assert_eq!((selects(&on_europe).len(), selects(&on_asia).len()), (1, 1));
        // A key on no shard: one SELECT on each, and None.
        assert!(s.get::<City>(3)?.is_none());
        assert_eq!((selects(&on_europe).len(), selects(&on_asia).len()), (2, 2));

        // An identity chooser sends get(2) to asia only.
        let s = Session::sharded(
            sharding(shards).identity_chooser(|_, key| match key {
                [Value::Int(2)] => vec!["asia".to_owned()],
                _ => vec!["europe".to_owned(), "asia".to_owned()],
            }),
            SessionConfig::default(),
        )?;
        on_europe.clear();
        on_asia.clear();
        assert_eq!(s.get::<City>(2)?.expect("city 2").read()?.name, "osaka");
        assert_eq!((selects(&on_europe).len(), selects(&on_asia).len()), (0, 1));
        Ok(())
    }

    fn ordered_and_limited_queries_merge_the_rows_of_both_shards(shards, backend) {
        let (europe, asia) = (&shards[0], &shards[1]);
        let s = session(shards)?;
        for (id, continent, name, population) in [
            (10, "europe", "a", Some(500)),
            (11, "europe", "b", Some(300)),
            (12, "europe", "c", None),
            (13, "europe", "d", Some(100)),
            (20, "asia", "e", Some(400)),
            (21, "asia", "f", Some(200)),
            (22, "asia", "g", Some(600)),
        ] {
            s.add(city(id, continent, name, population))?;
        }
        s.commit()?;
        let (on_europe, on_asia) = (europe.record_statements(), asia.record_statements());

        // Descending with the database's NULL order: PostgreSQL puts NULL first (it sorts
        // NULL high), SQLite and MariaDB last. Page 2 of 3 needs rows of both shards.
        let page = s
            .query::<City>()
            .order_by(City::population.desc())
            .limit(3)
            .offset(1)
            .all()?;
        let expected = match backend {
            Backend::Postgres => ["g", "a", "e"],
            _ => ["a", "e", "b"],
        };
        assert_eq!(names(&page)?, expected);
        // Each shard ran one SELECT, asked for LIMIT + OFFSET rows from the start.
        for rec in [&on_europe, &on_asia] {
            let sent = selects(rec);
            assert_eq!(sent.len(), 1, "{sent:?}");
            assert!(sent[0].contains("LIMIT") && !sent[0].contains("OFFSET"), "{sent:?}");
        }
        // NULLS LAST spelled out: the same answer everywhere.
        let ascending = s
            .query::<City>()
            .order_by(City::population.asc().nulls_last())
            .limit(4)
            .all()?;
        assert_eq!(names(&ascending)?, ["d", "f", "b", "e"]);
        let everything = s.query::<City>().order_by(City::name.desc()).all()?;
        assert_eq!(names(&everything)?, ["g", "f", "e", "d", "c", "b", "a"]);
        let first = s.query::<City>().order_by(City::population.asc().nulls_last()).first()?;
        assert_eq!(first.expect("a city").read()?.name, "d");
        let skipped = s.query::<City>().order_by(City::id).offset(5).all()?;
        assert_eq!(names(&skipped)?, ["f", "g"]);

        // count adds up the shards, LIMIT/OFFSET apply to the total; exists asks each.
        assert_eq!(s.query::<City>().count()?, 7);
        assert_eq!(s.query::<City>().filter(City::population.gt(250)).count()?, 4);
        assert_eq!(s.query::<City>().limit(3).offset(1).count()?, 3);
        assert_eq!(s.query::<City>().offset(6).count()?, 1);
        assert!(s.query::<City>().filter(City::name.eq("g")).exists_scalar()?);
        assert!(!s.query::<City>().filter(City::name.eq("zz")).exists_scalar()?);

        // The execute chooser reads the continent off the criteria: asia only.
        on_europe.clear();
        on_asia.clear();
        let asian = s
            .query::<City>()
            .filter(City::continent.eq("asia"))
            .order_by(City::name)
            .all()?;
        assert_eq!(names(&asian)?, ["e", "f", "g"]);
        assert_eq!((selects(&on_europe).len(), selects(&on_asia).len()), (0, 1));

        // Columns from both shards, unordered: one shard's rows after the other's.
        let mut all_names = s.query::<City>().with_entities(City::name).all()?;
        all_names.sort();
        assert_eq!(all_names, ["a", "b", "c", "d", "e", "f", "g"]);
        // Ordered columns are not merged: an error that says what to do, not a wrong order.
        let err = s
            .query::<City>()
            .with_entities(City::name)
            .order_by(City::name)
            .all()
            .unwrap_err();
        assert!(err.to_string().contains("set_shard"), "{err}");
        // So is a sort key that is not a column of the model.
        let err = s
            .query::<City>()
            .order_by(aludel::sql::literal_column("population"))
            .all()
            .unwrap_err();
        assert!(err.to_string().contains("columns of shard_cities only"), "{err}");
        Ok(())
    }

    fn queries_and_sessions_can_be_pinned_to_a_shard(shards, _backend) {
        let (europe, asia) = (&shards[0], &shards[1]);
        let s = session(shards)?;
        s.add(city(1, "europe", "paris", Some(2100)))?;
        s.commit()?;
        // Pinned: a European city goes to asia all the same (no chooser asked).
        s.pin_shard("asia")?;
        let oslo = s.add(city(30, "europe", "oslo", Some(700)))?;
        s.commit()?;
        assert_eq!(s.shard_of(&oslo).as_deref(), Some("asia"));
        assert_eq!((count(europe, "shard_cities")?, count(asia, "shard_cities")?), (1, 1));
        let (on_europe, on_asia) = (europe.record_statements(), asia.record_statements());
        assert_eq!(s.query::<City>().count()?, 1);
        assert_eq!(s.query::<City>().one()?.read()?.name, "oslo");
        // A statement of no model runs on the pinned shard.
        let n: i64 = s.scalar(&text("SELECT count(*) FROM shard_cities"), ())?;
        assert_eq!(n, 1);
        // A query's own shard wins over the session's.
        assert_eq!(s.query::<City>().set_shard("europe").one()?.read()?.name, "paris");
        assert_eq!(selects(&on_europe).len(), 1);
        // get looks on the pinned shard only.
        assert!(s.get::<City>(1)?.is_none());
        assert_eq!(selects(&on_europe).len(), 1);
        s.commit()?;

        s.unpin_shard();
        let err = s.execute(&text("SELECT 1"), ()).unwrap_err();
        assert!(err.to_string().contains("pin one"), "{err}");
        assert_eq!(s.query::<City>().count()?, 2);
        assert_eq!(s.query::<City>().set_shard("asia").count()?, 1);
        let err = s.query::<City>().set_shard("mars").all().unwrap_err();
        assert!(err.to_string().contains("no shard named \"mars\""), "{err}");
        assert!(s.pin_shard("mars").is_err());
        // What is added while pinned stays on that shard, flushed after the pin ends.
        s.pin_shard("europe")?;
        let kyoto = s.add(city(31, "asia", "kyoto", None))?;
        s.unpin_shard();
        on_asia.clear();
        s.commit()?;
        assert_eq!(s.shard_of(&kyoto).as_deref(), Some("europe"));
        assert_eq!((count(europe, "shard_cities")?, count(asia, "shard_cities")?), (2, 1));
        assert!(on_asia.statements().iter().all(|q| !q.starts_with("INSERT")));
        Ok(())
    }

    fn flushes_refreshes_and_loads_follow_the_objects_shard(shards, _backend) {
        let (europe, asia) = (&shards[0], &shards[1]);
        // One flush: two cities with key 1, each with reports, on two shards; the
        // reports follow their city (no chooser needed for them).
        let s = session(shards)?;
        let paris = s.add(city(1, "europe", "paris", None))?;
        let tokyo = s.add(city(1, "asia", "tokyo", None))?;
        for (id, celsius) in [(1, 18), (2, 21)] {
            paris.read()?.reports.push(&s.add(report(id, celsius))?)?;
        }
        tokyo.read()?.reports.push(&s.add(report(1, 27))?)?;
        s.commit()?;
        assert_eq!((count(europe, "shard_reports")?, count(asia, "shard_reports")?), (2, 1));

        // Lazy loads go to the parent's shard.
        let s = session(shards)?;
        let cities = s.query::<City>().order_by(City::name).all()?;
        let (on_europe, on_asia) = (europe.record_statements(), asia.record_statements());
        let celsius = |c: &aludel::orm::Instance<City>| -> Result<Vec<i64>> {
            c.read()?.reports.all()?.iter().map(|r| Ok(r.read()?.celsius)).collect()
        };
        assert_eq!(celsius(&cities[1])?, [27]);
        assert_eq!((selects(&on_europe).len(), selects(&on_asia).len()), (0, 1));
        assert_eq!(celsius(&cities[0])?, [18, 21]);
        assert_eq!((selects(&on_europe).len(), selects(&on_asia).len()), (1, 1));
        // The many-to-one back is in the identity map on the same shard: no SQL.
        let tokyo_report = cities[1].read()?.reports.all()?[0].clone();
        assert!(tokyo_report.read()?.city.get()?.expect("its city").ptr_eq(&cities[1]));
        assert_eq!((selects(&on_europe).len(), selects(&on_asia).len()), (1, 1));

        // An UPDATE goes to the object's shard only; a refresh reads from it.
        on_europe.clear();
        on_asia.clear();
        cities[1].write()?.name = "tokyo-to".into();
        s.flush()?;
        let updates = |rec: &StatementRecorder| rec.statements().iter().filter(|q| q.starts_with("UPDATE")).count();
        assert_eq!((updates(&on_europe), updates(&on_asia)), (0, 1));
        s.refresh(&cities[0])?;
        assert_eq!(cities[0].read()?.name, "paris");
        assert_eq!((selects(&on_europe).len(), selects(&on_asia).len()), (1, 0));
        s.delete(&tokyo_report)?;
        s.commit()?;
        assert_eq!((count(europe, "shard_reports")?, count(asia, "shard_reports")?), (2, 0));
        assert_eq!(
            asia.connect()?.scalar::<String>(&text("SELECT name FROM shard_cities"), ())?,
            "tokyo-to"
        );

        // selectinload: each shard loads its own cities' reports.
        let s = session(shards)?;
        on_europe.clear();
        on_asia.clear();
        let cities = s
            .query::<City>()
            .options(selectinload(City::reports))
            .order_by(City::name)
            .all()?;
        assert_eq!((selects(&on_europe).len(), selects(&on_asia).len()), (2, 2));
        assert_eq!(celsius(&cities[0])?, [18, 21]);
        assert!(celsius(&cities[1])?.is_empty());
        assert_eq!((selects(&on_europe).len(), selects(&on_asia).len()), (2, 2));
        Ok(())
    }

    fn bulk_statements_and_streams_run_on_each_shard(shards, _backend) {
        let (europe, asia) = (&shards[0], &shards[1]);
        let s = session(shards)?;
        for (id, continent, name) in [(1, "europe", "paris"), (2, "europe", "rome"), (1, "asia", "tokyo")] {
            s.add(city(id, continent, name, Some(1000)))?;
        }
        s.commit()?;
        let cities = s.query::<City>().order_by(City::name).all()?;
        // A bulk UPDATE on both shards, each synchronizing its own objects only.
        let n = s
            .query::<City>()
            .filter(City::id.eq(1))
            .update([(City::population, 5)], SynchronizeSession::Evaluate)?;
        assert_eq!(n, 2);
        let populations: Vec<Option<i64>> =
            cities.iter().map(|c| Ok(c.read()?.population)).collect::<Result<_>>()?;
        assert_eq!(populations, [Some(5), Some(1000), Some(5)]);
        // A bulk DELETE routed to asia by the chooser: only tokyo goes.
        let n = s
            .query::<City>()
            .filter(City::continent.eq("asia"))
            .delete(SynchronizeSession::Fetch)?;
        assert_eq!(n, 1);
        assert_eq!(cities[2].state(), aludel::orm::ObjectState::Deleted);
        assert_eq!(cities[0].state(), aludel::orm::ObjectState::Persistent);
        s.commit()?;
        assert_eq!((count(europe, "shard_cities")?, count(asia, "shard_cities")?), (2, 0));

        // A stream runs shard after shard; ordered or limited, it is refused.
        s.add(city(7, "asia", "osaka", None))?;
        s.commit()?;
        let mut streamed = Vec::new();
        let rows = s.query::<City>().yield_per(1).for_each(|c| {
            streamed.push(c.read()?.name.clone());
            Ok(())
        })?;
        streamed.sort();
        assert_eq!((rows, streamed), (3, vec!["osaka".to_owned(), "paris".to_owned(), "rome".to_owned()]));
        let err = s.query::<City>().order_by(City::name).for_each(|_| Ok(())).unwrap_err();
        assert!(err.to_string().contains("not merged"), "{err}");
        Ok(())
    }
}

/// A sharded session refuses what it cannot do, with errors that say so.
#[test]
fn a_sharded_session_refuses_mixed_dialects_and_new_objects_without_a_shard() -> Result<()> {
    let sqlite = aludel::create_engine("sqlite://:memory:")?;
    create_all(&sqlite, &[City::info(), Report::info()])?;
    assert!(Session::sharded(Sharding::new(), SessionConfig::default()).is_err());
    if let Ok(url) = std::env::var("ALUDEL_TEST_POSTGRES") {
        let pg = aludel::create_engine(&url)?;
        let sharding = Sharding::new().shard("a", &sqlite).shard("b", &pg);
        let err = Session::sharded(sharding, SessionConfig::default()).unwrap_err();
        assert!(err.to_string().contains("share one dialect"), "{err}");
    }
    let s = Session::sharded(
        Sharding::new().shard("only", &sqlite),
        SessionConfig::default(),
    )?;
    s.add(city(1, "europe", "paris", None))?;
    let err = s.flush().unwrap_err();
    assert!(err.to_string().contains("no shard chooser"), "{err}");
    s.rollback()?;
    // A chooser naming a shard that does not exist.
    let s = Session::sharded(
        Sharding::new()
            .shard("only", &sqlite)
            .shard_chooser(|_| Ok("elsewhere".to_owned())),
        SessionConfig::default(),
    )?;
    s.add(city(1, "europe", "paris", None))?;
    let err = s.flush().unwrap_err();
    assert!(
        err.to_string().contains("no shard named \"elsewhere\""),
        "{err}"
    );
    Ok(())
}

/// A two-phase sharded session on the 5433/5434 clusters: both shards are prepared
/// before either commits, and nothing is left prepared.
#[test]
fn a_two_phase_sharded_session_prepares_every_shard_before_committing() {
    run_on_servers(
        Backend::Postgres,
        &["ALUDEL_TEST_PG_2PC", "ALUDEL_TEST_PG_2PC_SECOND"],
        "sharding_two_phase",
        |dbs| {
            let shards: Vec<Engine> = dbs.iter().map(|d| (**d).clone()).collect();
            for e in &shards {
                create_all(e, &[City::info(), Report::info()])?;
            }
            let recorders: Vec<StatementRecorder> =
                shards.iter().map(Engine::record_statements).collect();
            let config = SessionConfig {
                twophase: true,
                ..SessionConfig::default()
            };
            let s = Session::sharded(sharding(&shards), config)?;
            s.add(city(1, "europe", "paris", None))?;
            s.add(city(1, "asia", "tokyo", None))?;
            s.commit()?;
            for rec in &recorders {
                let sent = rec.statements();
                let at = |prefix: &str| sent.iter().position(|q| q.starts_with(prefix));
                let (insert, prepare, commit) = (
                    at("INSERT"),
                    at("PREPARE TRANSACTION"),
                    at("COMMIT PREPARED"),
                );
                assert!(
                    insert.is_some() && insert < prepare && prepare < commit,
                    "{sent:?}"
                );
            }
            // None of the transactions this test prepared is still prepared (other
            // tests' may be, on a shared server).
            for (e, rec) in shards.iter().zip(&recorders) {
                assert_eq!(count(e, "shard_cities")?, 1);
                let sent = rec.statements();
                let left: Vec<String> = e
                    .connect()?
                    .recover_twophase()?
                    .into_iter()
                    .filter(|xid| sent.iter().any(|q| q.contains(xid.as_str())))
                    .collect();
                assert!(left.is_empty(), "{left:?}");
            }
            Ok(())
        },
    );
}
