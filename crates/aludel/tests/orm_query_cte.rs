//! The seed's recursive `Part` CTE through the ORM Query (SQLAlchemy's `Query.cte(name,
//! recursive=True)` example): the anchor and the recursive member are ORM queries of typed
//! columns, the member reads an aliased `Part` (`p`) and an alias of the CTE (`pr`), and
//! the total per sub-part is a query of typed columns over the CTE.

mod common;

use aludel::Result;
use aludel::orm::{Aliased, Model, Query, Session, create_all, typed};
use aludel::sql::{Cte, func};

use common::sql_text::assert_sql;

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "part")]
struct Part {
    #[column(primary_key, max_len = 30)]
    part: String,
    #[column(primary_key, max_len = 30)]
    sub_part: String,
    quantity: i32,
}

/// `included_parts`: "our part"'s sub-parts, then theirs, recursively.
fn included_parts(s: &Session) -> Cte {
    let included = s
        .query::<Part>()
        .with_entities((Part::sub_part, Part::part, Part::quantity))
        .filter(Part::part.eq("our part"))
        .cte_recursive("included_parts");
    let incl_alias = included.alias("pr");
    let parts_alias = Aliased::<Part>::new("p");
    included.union_all(
        &s.query::<Part>()
            .select_from_item(parts_alias.from_item())
            .with_entities((
                parts_alias.column(Part::sub_part),
                parts_alias.column(Part::part),
                parts_alias.column(Part::quantity),
            ))
            .filter(parts_alias.c("part").eq(incl_alias.c("sub_part"))),
    )
}

/// The total quantity of each sub-part, by name.
fn totals(s: &Session) -> Query<Part, (aludel::orm::Typed<String>, aludel::orm::Typed<i64>)> {
    let included = included_parts(s);
    s.query::<Part>()
        .select_from_item(&included)
        .with_entities((
            typed::<String>(included.c("sub_part"), "sub_part"),
            typed::<i64>(func::sum(included.c("quantity")), "total_quantity"),
        ))
        .group_by([included.c("sub_part")])
        .order_by(included.c("sub_part"))
}

#[test]
fn the_recursive_parts_cte_sql_per_dialect() -> Result<()> {
    let s = Session::new(&aludel::create_engine("sqlite://:memory:")?);
    // SQLAlchemy 2.1 renders the same statement (its member labels read `p_sub_part`).
    assert_sql(
        totals(&s).statement(),
        "WITH RECURSIVE included_parts(sub_part, part, quantity) AS (SELECT part.sub_part, part.part, part.quantity FROM part WHERE part.part = ? UNION ALL SELECT p.sub_part AS sub_part, p.part AS part, p.quantity AS quantity FROM part AS p, included_parts AS pr WHERE p.part = pr.sub_part) SELECT included_parts.sub_part AS sub_part, sum(included_parts.quantity) AS total_quantity FROM included_parts GROUP BY included_parts.sub_part ORDER BY included_parts.sub_part",
        "WITH RECURSIVE included_parts(sub_part, part, quantity) AS (SELECT part.sub_part, part.part, part.quantity FROM part WHERE part.part = $1 UNION ALL SELECT p.sub_part AS sub_part, p.part AS part, p.quantity AS quantity FROM part AS p, included_parts AS pr WHERE p.part = pr.sub_part) SELECT included_parts.sub_part AS sub_part, sum(included_parts.quantity) AS total_quantity FROM included_parts GROUP BY included_parts.sub_part ORDER BY included_parts.sub_part",
        "WITH RECURSIVE included_parts(sub_part, part, quantity) AS (SELECT part.sub_part, part.part, part.quantity FROM part WHERE part.part = ? UNION ALL SELECT p.sub_part AS sub_part, p.part AS part, p.quantity AS quantity FROM part AS p, included_parts AS pr WHERE p.part = pr.sub_part) SELECT included_parts.sub_part AS sub_part, sum(included_parts.quantity) AS total_quantity FROM included_parts GROUP BY included_parts.sub_part ORDER BY included_parts.sub_part",
    );
    Ok(())
}

backend_tests! {
    fn the_recursive_parts_cte_totals_each_sub_part(db) {
        create_all(db, &[Part::info()])?;
        let s = Session::new(db);
        for (part, sub_part, quantity) in [
            ("our part", "engine", 1), ("our part", "wheel", 4), ("engine", "piston", 6),
            ("engine", "bolt", 10), ("wheel", "bolt", 5), ("piston", "ring", 3), ("other", "nut", 7),
        ] {
            s.add(Part { part: part.into(), sub_part: sub_part.into(), quantity })?;
        }
        s.commit()?;
        let got = totals(&s).all()?;
        let want: Vec<(String, i64)> = [("bolt", 15), ("engine", 1), ("piston", 6), ("ring", 3), ("wheel", 4)]
            .iter()
            .map(|(n, q)| (n.to_string(), *q))
            .collect();
        assert_eq!(got, want);
        Ok(())
    }
}
