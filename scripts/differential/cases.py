"""The SQLAlchemy side of the differential suite.

Builds the fixture database (users and addresses, with the awkward data: NULLs, wildcards
and quotes in text, equal sort keys) through SQLAlchemy 2.x's ORM, runs every case through
SQLAlchemy's Query, and writes each case's rows as JSON. The Rust side
(crates/aludel/tests/differential.rs) runs the same cases through aludel on the same
database file and compares. A case's rows are lists of plain values (int, float, str, None).

Usage: python cases.py DATABASE_FILE RESULTS_JSON
"""

import json
import sys

from sqlalchemy import (
    ForeignKey,
    String,
    and_,
    bindparam,
    create_engine,
    func,
    not_,
    or_,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, aliased, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    age: Mapped[int | None]
    nickname: Mapped[str | None] = mapped_column(String(50))


class Address(Base):
    __tablename__ = "addresses"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    email: Mapped[str] = mapped_column(String(100))


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


def users(rows):
    return [[u.id, u.name, u.age, u.nickname] for u in rows]


def addresses(rows):
    return [[a.id, a.user_id, a.email] for a in rows]


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
        "bulk_update_evaluate": bulk_update_evaluate(s),
        "bulk_delete_fetch": bulk_delete_fetch(s),
    }


def main():
    db, out = sys.argv[1], sys.argv[2]
    engine = create_engine(f"sqlite:///{db}")
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(User(id=i, name=n, age=a, nickname=k) for i, n, a, k in USERS)
        s.add_all(Address(id=i, user_id=u, email=e) for i, u, e in ADDRESSES)
        s.commit()
    with Session(engine) as s:
        results = cases(s)
        results.update(query_api_cases(s))
    with open(out, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    print(f"differential: SQLAlchemy ran {len(results)} cases")


if __name__ == "__main__":
    main()
