"""The SQLAlchemy 2.x ORM contender of aludel-bench: one measurement per process.

Usage: bench.py WORKLOAD/VARIANT URL SIZE TABLE_ROWS EXPECTED_ROWS

Prints "RESULT <seconds> <peak_rss_bytes>" (or "SKIP <reason>") like the Rust contenders.
The data (names, descriptions, lookup keys) follow crates/aludel-bench/src/workloads.rs.
"""

import resource
import sys
import time
from typing import List, Optional

from sqlalchemy import ForeignKey, String, create_engine, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, selectinload

YIELD_PER = 1000


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(String(200))


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    hair_color: Mapped[Optional[str]] = mapped_column(String(50))
    posts: Mapped[List["Post"]] = relationship(back_populates="user")


class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[Optional[str]] = mapped_column(String(200))
    user: Mapped[User] = relationship(back_populates="posts")
    comments: Mapped[List["Comment"]] = relationship()


class Comment(Base):
    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    text: Mapped[str] = mapped_column(String(200))


def item_name(i):
    return f"item {i}"


def item_description(i):
    return f"description of item number {i}, a text of medium length"


def user_name(i):
    return f"user {i}"


def hair_color(i):
    if i % 2 == 0:
        return "black"
    return None if i % 5 == 0 else "brown"


def lookup_ids(count, table_rows):
    return [(i * 7919) % table_rows + 1 for i in range(count)]


def new_items(n):
    return [Item(name=item_name(i), description=item_description(i)) for i in range(1, n + 1)]


def large_objects(engine, n, table_rows):
    with Session(engine) as s:
        return len(s.scalars(select(Item)).all())


def large_columns(engine, n, table_rows):
    with Session(engine) as s:
        return len(s.execute(select(Item.id, Item.name, Item.description)).all())


def large_streamed(engine, n, table_rows):
    seen = 0
    with Session(engine) as s:
        result = s.scalars(select(Item).execution_options(yield_per=YIELD_PER))
        for part in result.partitions():
            seen += len(part)
    return seen


def short_get(engine, n, table_rows):
    found = 0
    for key in lookup_ids(n, table_rows):
        with Session(engine) as s:
            found += s.get(Item, key) is not None
    return found


def bulk_unit_of_work(engine, n, table_rows, prepared):
    with Session(engine) as s:
        s.add_all(prepared)
        s.commit()
    return n


def bulk_core(engine, n, table_rows, prepared):
    with engine.begin() as conn:
        conn.execute(insert(Item.__table__), prepared)
    return n


def single_inserts(engine, n, table_rows, prepared):
    with Session(engine) as s:
        for item in prepared:
            s.add(item)
            s.commit()
    return n


def bulk_updates(engine, n, table_rows):
    with Session(engine) as s:
        items = s.scalars(select(Item)).all()
        for item in items:
            item.name = item.name + "!"
        s.commit()
        return len(items)


def diesel_trivial(engine, n, table_rows):
    with Session(engine) as s:
        return len(s.scalars(select(User)).all())


def diesel_medium(engine, n, table_rows):
    with Session(engine) as s:
        stmt = (
            select(User, Post)
            .outerjoin(Post, User.id == Post.user_id)
            .where(User.hair_color == "black")
        )
        return len(s.execute(stmt).all())


def diesel_associations(engine, n, table_rows):
    with Session(engine) as s:
        stmt = select(User).options(selectinload(User.posts).selectinload(Post.comments))
        users = s.scalars(stmt).all()
        return len(users) + sum(1 + len(p.comments) for u in users for p in u.posts)


def diesel_insert(engine, n, table_rows, prepared):
    with Session(engine) as s:
        s.add_all(prepared)
        s.commit()
    return n


# workload/variant -> (work, input builder or None); inputs are built before timing.
WORKLOADS = {
    "large_resultsets/objects": (large_objects, None),
    "large_resultsets/columns": (large_columns, None),
    "large_resultsets/streamed": (large_streamed, None),
    # SQLAlchemy's streamed workload already is its ORM yield_per.
    "large_resultsets/yield_per": (large_streamed, None),
    "short_selects/get": (short_get, None),
    "bulk_inserts/unit_of_work": (bulk_unit_of_work, new_items),
    "bulk_inserts/core": (
        bulk_core,
        lambda n: [{"name": item_name(i), "description": item_description(i)} for i in range(1, n + 1)],
    ),
    "single_inserts/unit_of_work": (single_inserts, new_items),
    "bulk_updates/unit_of_work": (bulk_updates, None),
    "diesel_trivial/objects": (diesel_trivial, None),
    "diesel_medium/objects": (diesel_medium, None),
    "diesel_associations/objects": (diesel_associations, None),
    "diesel_insert/objects": (
        diesel_insert,
        lambda n: [User(name=user_name(i), hair_color=hair_color(i)) for i in range(1, n + 1)],
    ),
}


def main():
    slug, url, size, table_rows, expected = sys.argv[1:6]
    size, table_rows, expected = int(size), int(table_rows), int(expected)
    if slug not in WORKLOADS:
        print(f"SKIP no SQLAlchemy script for {slug}")
        return
    work, build = WORKLOADS[slug]
    engine = create_engine(url)
    with engine.connect() as conn:  # connect outside the timing, as the Rust contenders do
        conn.rollback()
    args = (engine, size, table_rows) + ((build(size),) if build else ())
    start = time.perf_counter()
    rows = work(*args)
    elapsed = time.perf_counter() - start
    if rows != expected:
        sys.exit(f"materialised {rows} rows, expected {expected}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"RESULT {elapsed} {peak}")


if __name__ == "__main__":
    main()
