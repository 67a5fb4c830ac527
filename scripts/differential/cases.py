"""The SQLAlchemy side of the differential suite.

Builds the fixture database (users, addresses, and keywords through an association table,
with the awkward data: NULLs, wildcards and quotes in text, equal sort keys) through SQLAlchemy 2.x's ORM, runs every case through
SQLAlchemy's Query, and writes each case's rows as JSON. The Rust side
(crates/aludel/tests/differential.rs) runs the same cases through aludel on the same
database file and compares. A case's rows are lists of plain values (int, float, str, None).

Usage: python cases.py DATABASE_FILE RESULTS_JSON
"""

import json
import sys

from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    Table,
    String,
    and_,
    bindparam,
    create_engine,
    event,
    func,
    not_,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    aliased,
    joinedload,
    mapped_column,
    relationship,
    Bundle,
    selectinload,
    subqueryload,
)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    age: Mapped[int | None]
    nickname: Mapped[str | None] = mapped_column(String(50))
    addresses: Mapped[list["Address"]] = relationship(
        back_populates="user", order_by="Address.id"
    )
    keywords: Mapped[list["Keyword"]] = relationship(
        secondary="user_keywords", back_populates="users", order_by="Keyword.id"
    )


class Address(Base):
    __tablename__ = "addresses"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    email: Mapped[str] = mapped_column(String(100))
    user: Mapped[User] = relationship(back_populates="addresses")


user_keywords = Table(
    "user_keywords",
    Base.metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("keyword_id", Integer, ForeignKey("keywords.id"), primary_key=True),
)


class Keyword(Base):
    __tablename__ = "keywords"
    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(30))
    users: Mapped[list[User]] = relationship(
        secondary=user_keywords, back_populates="keywords", order_by=User.id
    )


class Part(Base):
    """The seed's recursive parts example (Query.cte)."""

    __tablename__ = "part"
    part: Mapped[str] = mapped_column(String(30), primary_key=True)
    sub_part: Mapped[str] = mapped_column(String(30), primary_key=True)
    quantity: Mapped[int]


USERS = [
    (1, "jack", 30, "jj"),
    (2, "wendy", 25, None),
    (3, "ed", 40, "eddie"),
    (4, "fred", None, "100%_fred"),
    (5, "mary", 25, "o'mary"),
    (6, "Jack", 30, None),
]
ADDRESSES = [
    (1, 1, "jack@google.com"),
    (2, 3, "ed@wood.com"),
    (3, 3, "ed@bettyboop.com"),
    (4, 3, "ed@lala.com"),
    (5, 4, "fred@fred.com"),
    (6, 5, "mary_100%@example.com"),
]
KEYWORDS = [(1, "rust"), (2, "sql"), (3, "python")]
# jack: rust, sql; ed: rust; mary: python, sql; the others none.
USER_KEYWORDS = [(1, 1), (1, 2), (3, 1), (5, 2), (5, 3)]
PARTS = [
    ("our part", "engine", 1),
    ("our part", "wheel", 4),
    ("engine", "piston", 6),
    ("engine", "bolt", 10),
    ("wheel", "bolt", 5),
    ("piston", "ring", 3),
    ("other", "nut", 7),
]


def users(rows):
    return [[u.id, u.name, u.age, u.nickname] for u in rows]


def addresses(rows):
    return [[a.id, a.user_id, a.email] for a in rows]


def keywords(rows):
    return [[k.id, k.word] for k in rows]


def cases(s):
    """Each case: name -> rows. Names are shared with the Rust side."""
    q = s.query(User)
    return {
        "all_by_id": users(q.order_by(User.id).all()),
        "filter_eq": users(q.filter(User.name == "ed").all()),
        "filter_two_criteria": users(q.filter(User.age == 25).filter(User.name != "wendy").all()),
        "filter_by": users(q.filter_by(name="fred").all()),
        "filter_ne_skips_null": users(q.filter(User.nickname != "jj").order_by(User.id).all()),
        "is_null": users(q.filter(User.age.is_(None)).all()),
        "is_not_null_count": [[q.filter(User.nickname.is_not(None)).count()]],
        "in_list": users(q.filter(User.id.in_([2, 4, 6, 99])).order_by(User.id).all()),
        "not_in_list": users(q.filter(User.id.not_in([1, 2, 3])).order_by(User.id).all()),
        "empty_in_list": users(q.filter(User.id.in_([])).all()),
        "between": users(q.filter(User.age.between(25, 30)).order_by(User.id).all()),
        "like_literal_percent": users(q.filter(User.nickname.contains("100%")).all()),
        "startswith_underscore_literal": users(q.filter(User.nickname.startswith("100%_")).all()),
        "endswith": addresses(s.query(Address).filter(Address.email.endswith("@wood.com")).all()),
        "like_pattern": users(q.filter(User.name.like("%e%")).order_by(User.id).all()),
        "quote_in_value": users(q.filter(User.nickname == "o'mary").all()),
        "or_and_not": users(
            q.filter(or_(User.age > 35, and_(User.age == 25, not_(User.name == "mary"))))
            .order_by(User.id)
            .all()
        ),
        "order_desc_then_asc": users(q.order_by(User.age.desc(), User.id).all()),
        "limit_offset": users(q.order_by(User.id).limit(2).offset(3).all()),
        "first": users([q.order_by(User.name).first()]),
        "count": [[q.count()]],
        "count_filtered": [[q.filter(User.age >= 30).count()]],
        "get": users([s.get(User, 3)]),
        "get_missing": [[s.get(User, 99) is None]],
        "one_or_none_none": [[q.filter(User.id == 99).one_or_none() is None]],
        "column_comparison": addresses(
            s.query(Address).filter(Address.id == Address.user_id).order_by(Address.id).all()
        ),
        "text_select": [
            list(r)
            for r in s.execute(
                text("SELECT name, age FROM users WHERE age > :a ORDER BY id"), {"a": 26}
            )
        ],
        "core_group_by": [
            list(r)
            for r in s.execute(
                select(Address.user_id, func.count(Address.id))
                .group_by(Address.user_id)
                .order_by(Address.user_id)
            )
        ],
    }


def bulk_update_evaluate(s):
    q = s.query(User)
    n = q.filter(User.age > 26).update({User.age: User.age - 1}, synchronize_session="evaluate")
    ages = [[u.id, u.age] for u in q.order_by(User.id).all()]
    s.rollback()
    return [[n]] + ages


def bulk_delete_fetch(s):
    n = s.query(Address).filter(Address.user_id == 3).delete(synchronize_session="fetch")
    left = [[a.id] for a in s.query(Address).order_by(Address.id).all()]
    s.rollback()
    return [[n]] + left


def query_api_cases(s):
    """The generative Query API of issue 9 on one entity."""
    q = s.query(User)
    a = s.query(Address)
    young, old = q.filter(User.age < 30), q.filter(User.age > 26)
    has_address = a.filter(Address.user_id == User.id).exists()
    first3 = aliased(User, q.order_by(User.id).limit(3).subquery())
    upto3 = aliased(User, q.filter(User.id <= 3).subquery())
    plus_one = s.query(User.id, User.name, (User.age + 1).label("age"), User.nickname)
    older = aliased(User, plus_one.subquery(), adapt_on_names=True)
    renamed = aliased(
        User,
        s.query(
            User.id.label("uid"),
            User.name.label("n"),
            User.age.label("a"),
            User.nickname.label("nick"),
        )
        .filter(User.age > 20)
        .subquery(),
    )
    return {
        "join_filter_by_join_point": users(q.join(Address).filter_by(email="ed@wood.com").all()),
        "join_rows_uniqued": users(q.join(Address).order_by(User.id).all()),
        "join_count_counts_rows": [[q.join(Address).count()]],
        "outerjoin_without_addresses": users(
            q.outerjoin(Address).filter(Address.id.is_(None)).order_by(User.id).all()
        ),
        "select_from_then_join": addresses(
            a.select_from(User).join(Address).filter(User.name == "ed").order_by(Address.id).all()
        ),
        "order_by_reset_then_two_keys": users(
            q.order_by(User.name).order_by(None).order_by(User.age.desc(), User.id).all()
        ),
        "slice": users(q.order_by(User.id).slice(1, 4).all()),
        "slice_after_offset": users(q.order_by(User.id).offset(1).slice(1, 3).all()),
        "group_by_having": users(
            q.join(Address).group_by(User.id).having(func.count(Address.id) > 1).all()
        ),
        "distinct_join_count": [[q.join(Address).distinct().count()]],
        "union_ordered": users(young.union(old).order_by(User.id).all()),
        "union_all_count": [[young.union_all(old).count()]],
        "union_then_filter_adapted": users(
            young.union(old).filter(User.name != "ed").order_by(User.id).all()
        ),
        "intersect": users(young.intersect(old).order_by(User.id).all()),
        "except": users(old.except_(young).order_by(User.id).all()),
        "exists_scalar": [[s.query(q.filter(User.name == "ed").exists()).scalar()]],
        "correlated_exists": users(q.filter(has_address).order_by(User.id).all()),
        "params_bindparam": users(q.filter(User.name == bindparam("n")).params(n="mary").all()),
        "from_statement_text": users(
            q.from_statement(text("SELECT nickname, age, name, id FROM users WHERE age = :a"))
            .params(a=25)
            .all()
        ),
        "value_first_row": [[q.order_by(User.age.desc(), User.id).value(User.name)]],
        "text_criterion_with_params": users(
            q.filter(text("users.age > :a")).params(a=26).order_by(User.id).all()
        ),
        "distinct_on_join_rows": users(q.join(Address).distinct().order_by(User.id).all()),
        # from_self / select_entity_from left SQLAlchemy 2.x; aliased(User, subquery) is
        # their modern form.
        "from_self_keeps_limit_inside": users(
            s.query(first3).filter(first3.age > 26).order_by(first3.id).all()
        ),
        "select_entity_from_adapts": users(
            s.query(upto3).filter(upto3.age > 26).order_by(upto3.id).all()
        ),
        # A subquery whose "age" is computed: adapt_on_names maps User.age to it by name.
        "aliased_subquery_adapt_on_names": users(
            s.query(older)
            .filter(older.age > 30)
            .order_by(older.id)
            .all()
        ),
        "aliased_subquery_lineage": users(
            s.query(renamed).filter(renamed.age > 25).order_by(renamed.id).all()
        ),
        "bulk_update_evaluate": bulk_update_evaluate(s),
        "bulk_delete_fetch": bulk_delete_fetch(s),
    }


def typed_selection_cases(s):
    """What is selected: columns, expressions and several entities in one row."""
    q = s.query(User)
    return {
        "with_entities_columns": [
            list(r) for r in q.with_entities(User.id, User.name).order_by(User.id).all()
        ],
        "add_columns_after_join": [
            [u.id, email]
            for u, email in q.join(Address).add_columns(Address.email).order_by(Address.id).all()
        ],
        "add_entity_with_join": [
            [u.id, a.id]
            for u, a in q.join(Address).add_entity(Address).order_by(Address.id).all()
        ],
        "group_by_count": [
            list(r)
            for r in q.join(Address)
            .with_entities(User.name, func.count(Address.id))
            .group_by(User.name)
            .order_by(User.name)
            .all()
        ],
    }


def relationship_cases(s):
    """Joins along relationships and with_parent."""
    q = s.query(User)
    ed, mary = s.get(User, 3), s.get(User, 5)
    return {
        "join_relationship_filter": users(
            q.join(User.addresses).filter(Address.email.like("ed%")).order_by(User.id).all()
        ),
        "outerjoin_relationship_count": [[q.outerjoin(User.addresses).count()]],
        "join_many_to_many": users(
            q.join(User.keywords).filter(Keyword.word == "rust").order_by(User.id).all()
        ),
        "join_many_to_many_filter_by_target": keywords(
            s.query(Keyword).join(Keyword.users).filter_by(name="mary").order_by(Keyword.id).all()
        ),
        "join_many_to_many_add_entity": [
            [u.id, k.id]
            for u, k in q.join(User.keywords)
            .add_entity(Keyword)
            .order_by(User.id, Keyword.id)
            .all()
        ],
        "with_parent_one_to_many": addresses(
            s.query(Address).with_parent(ed, User.addresses).order_by(Address.id).all()
        ),
        "with_parent_many_to_many": keywords(
            s.query(Keyword).with_parent(mary, User.keywords).order_by(Keyword.id).all()
        ),
        "with_parent_many_to_one": users(
            q.with_parent(s.get(Address, 5), Address.user).all()
        ),
        "with_parent_inferred_one_to_many": addresses(
            s.query(Address).with_parent(ed).order_by(Address.id).all()
        ),
        "with_parent_inferred_many_to_one": users(q.with_parent(s.get(Address, 5)).all()),
    }


def legacy_join_and_shaping_cases(s):
    """The rest of the Query API: legacy aliased joins (compared with their 2.x form),
    select_from an alias, from_self(*entities), with_parent(from_entity=),
    subquery(reduce_columns=True), Bundle.label, scalar() of a tuple row, update_args and
    the recursive parts CTE."""
    q = s.query(User)
    # join(User.addresses, aliased=True).filter(Address.email...) in 2.x form.
    a1 = aliased(Address)
    aliased_join = q.join(User.addresses.of_type(a1)).filter(a1.email.like("ed%"))
    # ... then join(Address.user, aliased=True, from_joinpoint=True), then reset_joinpoint().
    a2, u2 = aliased(Address), aliased(User)
    from_joinpoint = (
        q.join(User.addresses.of_type(a2))
        .filter(a2.email.like("%.com"))
        .join(a2.user.of_type(u2))
        .filter(u2.age >= 30)
        .filter(User.name != "fred")
        .order_by(User.id)
    )
    k1 = aliased(Keyword)
    aliased_m2m = q.join(User.keywords.of_type(k1)).filter(k1.word == "sql").order_by(User.id)
    ua = aliased(User, name="ua")
    a3 = aliased(Address)
    ed = s.get(User, 3)
    pairs = (
        s.query(Address.id, a3.id)
        .join(a3, a3.id != Address.id)
        .with_parent(ed, User.addresses, from_entity=a3)
        .filter(Address.user_id == 1)
        .order_by(Address.id, a3.id)
    )
    reduced = (
        s.query(User.id, User.name, Address.id, Address.email)
        .filter(User.id == Address.id)
        .subquery(reduce_columns=True)
    )
    labelled = Bundle("b", User.id, User.name).label("card")
    first3 = aliased(User, q.order_by(User.id).limit(3).subquery())
    # update_args={"prefixes": [...]} (1.x) is update().prefix_with() in 2.x.
    n = s.execute(
        update(User).where(User.id == 2).values(age=26).prefix_with("OR IGNORE")
    ).rowcount
    updated = [[n, s.get(User, 2).age]]
    s.rollback()
    included = (
        s.query(Part.sub_part, Part.part, Part.quantity)
        .filter(Part.part == "our part")
        .cte(name="included_parts", recursive=True)
    )
    incl_alias = aliased(included, name="pr")
    parts_alias = aliased(Part, name="p")
    included = included.union_all(
        s.query(parts_alias.sub_part, parts_alias.part, parts_alias.quantity).filter(
            parts_alias.part == incl_alias.c.sub_part
        )
    )
    totals = (
        s.query(included.c.sub_part, func.sum(included.c.quantity).label("total_quantity"))
        .group_by(included.c.sub_part)
        .order_by(included.c.sub_part)
    )
    return {
        "aliased_join_filter_adapts": users(aliased_join.order_by(User.id).all()),
        "aliased_join_from_joinpoint": users(from_joinpoint.all()),
        "aliased_join_many_to_many": users(aliased_m2m.all()),
        "select_from_alias": [
            list(r) for r in s.query(ua.name).select_from(ua).filter(ua.age == 25).order_by(ua.id)
        ],
        # from_self(User.name) is removed in 2.x: aliased(User, subquery) is its form.
        "from_self_entities": [
            list(r) for r in s.query(first3.name).order_by(first3.name).all()
        ],
        "with_parent_from_entity": [list(r) for r in pairs.all()],
        "reduced_subquery": [
            list(r)
            for r in s.query(reduced.c.id, reduced.c.name, reduced.c.email).order_by(reduced.c.id)
        ],
        "bundle_label": [[list(r[0])] for r in s.query(labelled).order_by(User.id).limit(2)]
        + [[d["name"] for d in s.query(labelled).column_descriptions]],
        "scalar_of_tuple_row": [[s.query(User.name, User.id).filter(User.id == 3).scalar()]],
        "update_args_prefix": updated,
        "recursive_parts_cte": [list(r) for r in totals.all()],
    }


def loader_cases(engine):
    """The same objects and the same number of SELECTs per loader strategy, each in a fresh
    session: rows are [owner id, what the relationship holds], then ["SELECTs", n]."""
    seen = []

    def record(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    def run(load, read, option=None, eager=True):
        with Session(engine) as s:
            seen.clear()
            event.listen(engine, "before_cursor_execute", record)
            q = s.query(load)
            if option is not None:
                q = q.options(option)
            q = q.enable_eagerloads(eager)
            rows = [[o.id, read(o)] for o in q.order_by(load.id).all()]
            event.remove(engine, "before_cursor_execute", record)
            return rows + [["SELECTs", len(seen)]]

    def ids(objects):
        return ",".join(str(o.id) for o in objects)

    return {
        "lazyload_collection_statements": run(User, lambda u: ids(u.addresses)),
        "selectinload_collection_statements": run(
            User, lambda u: ids(u.addresses), selectinload(User.addresses)
        ),
        "joinedload_collection_statements": run(
            User, lambda u: ids(u.addresses), joinedload(User.addresses)
        ),
        "selectinload_many_to_many_statements": run(
            User, lambda u: ids(u.keywords), selectinload(User.keywords)
        ),
        "joinedload_many_to_one_statements": run(
            Address, lambda a: a.user.name, joinedload(Address.user)
        ),
        "enable_eagerloads_false_statements": run(
            User, lambda u: ids(u.addresses), selectinload(User.addresses), eager=False
        ),
        # A subquery load below another re-runs the statement above it: 3 SELECTs.
        "subqueryload_nested_statements": run(
            User,
            lambda u: ";".join(f"{k.id}:{ids(k.users)}" for k in u.keywords),
            subqueryload(User.keywords).subqueryload(Keyword.users),
        ),
    }


def main():
    db, out = sys.argv[1], sys.argv[2]
    engine = create_engine(f"sqlite:///{db}")
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(User(id=i, name=n, age=a, nickname=k) for i, n, a, k in USERS)
        s.add_all(Address(id=i, user_id=u, email=e) for i, u, e in ADDRESSES)
        s.add_all(Keyword(id=i, word=w) for i, w in KEYWORDS)
        s.add_all(Part(part=p, sub_part=sp, quantity=n) for p, sp, n in PARTS)
        s.flush()
        s.execute(
            user_keywords.insert(), [{"user_id": u, "keyword_id": k} for u, k in USER_KEYWORDS]
        )
        s.commit()
    with Session(engine) as s:
        results = cases(s)
        results.update(query_api_cases(s))
        results.update(typed_selection_cases(s))
        results.update(relationship_cases(s))
        results.update(legacy_join_and_shaping_cases(s))
    results.update(loader_cases(engine))
    with open(out, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    print(f"differential: SQLAlchemy ran {len(results)} cases")


if __name__ == "__main__":
    main()
