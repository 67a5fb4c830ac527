//! Seed 001's recursive parts example (`Query.cte`): the `Part` model and the two ORM queries
//! of the example, shared by `orm_query_cte.rs` (every backend, SQL per dialect) and the
//! differential suite (against SQLAlchemy).

use aludel::orm::{Aliased, Query, Session, Typed, typed};
use aludel::sql::{Cte, func};

#[derive(aludel::Model, Debug, Clone, PartialEq)]
#[model(table = "part")]
pub struct Part {
    #[column(primary_key, max_len = 30)]
    pub part: String,
    #[column(primary_key, max_len = 30)]
    pub sub_part: String,
    pub quantity: i32,
}

/// `included_parts`: "our part"'s sub-parts, then theirs, recursively; the recursive member
/// reads an aliased `Part` (`p`) and an alias of the CTE (`pr`).
pub fn included_parts(s: &Session) -> Cte {
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
pub fn totals(s: &Session) -> Query<Part, (Typed<String>, Typed<i64>)> {
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
