//! The seed's recursive `Part` CTE through the ORM Query (SQLAlchemy's `Query.cte(name,
//! recursive=True)` example): the anchor and the recursive member are ORM queries of typed
//! columns, the member reads an aliased `Part` (`p`) and an alias of the CTE (`pr`), and
//! the total per sub-part is a query of typed columns over the CTE.

mod common;

use aludel::Result;
use aludel::orm::{Model, Session, create_all};

use common::parts_fixture::{Part, totals};
use common::sql_text::assert_sql;

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
