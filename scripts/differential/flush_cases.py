"""The flush half of the differential suite: what a flush sends, in SQLAlchemy 2.x.

Each case builds its own small schema in a fresh in-memory SQLite database, makes a change
through the ORM and flushes it. Its rows are the flush's writes in order, one
["INSERT" | "UPDATE" | "DELETE", table] per run of statements of the same kind on the same
table (how a backend batches rows is not compared, the order of the writes is), a
["flush"] line between flushes, then ["row", table, values...] for every row left in the
case's tables, ordered by table and primary key. Writes to tables no foreign key links
may come in either order (each ORM sorts them its own way); between one table's writes,
or writes to linked tables, the order is compared. The Rust side
(crates/aludel/tests/differential_flush.rs) runs the same cases through aludel and compares.

Usage: python flush_cases.py RESULTS_JSON
"""

import json
import re
import sys

from sqlalchemy import Column, ForeignKey, Integer, String, Table, create_engine, event, text
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "f_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    addresses: Mapped[list["Address"]] = relationship(
        back_populates="user", order_by="Address.id"
    )
    tags: Mapped[list["Tag"]] = relationship(secondary="f_user_tags", order_by="Tag.id")


class Address(Base):
    __tablename__ = "f_addresses"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("f_users.id"))
    email: Mapped[str] = mapped_column(String(40))
    user: Mapped[User | None] = relationship(back_populates="addresses")


user_tags = Table(
    "f_user_tags",
    Base.metadata,
    Column("user_id", Integer, ForeignKey("f_users.id"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("f_tags.id"), primary_key=True),
)


class Tag(Base):
    __tablename__ = "f_tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(20))


class Node(Base):
    __tablename__ = "f_nodes"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("f_nodes.id"))
    name: Mapped[str] = mapped_column(String(20))
    children: Mapped[list["Node"]] = relationship(
        back_populates="parent", order_by="Node.id"
    )
    parent: Mapped["Node | None"] = relationship(back_populates="children", remote_side=[id])


class Group(Base):
    __tablename__ = "f_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    members: Mapped[list["Member"]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="Member.id"
    )


class Member(Base):
    __tablename__ = "f_members"
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("f_groups.id"))
    name: Mapped[str] = mapped_column(String(20))
    group: Mapped[Group | None] = relationship(back_populates="members")


class Person(Base):
    __tablename__ = "f_people"
    id: Mapped[int] = mapped_column(primary_key=True)
    boss_id: Mapped[int | None] = mapped_column(ForeignKey("f_people.id"))
    favorite_id: Mapped[int | None] = mapped_column(ForeignKey("f_people.id"))
    boss: Mapped["Person | None"] = relationship(foreign_keys=[boss_id], remote_side=[id])
    favorite: Mapped["Person | None"] = relationship(
        foreign_keys=[favorite_id], remote_side=[id], post_update=True
    )


# Each table's columns in the order the rows are printed (the models' field order).
TABLES = {
    "f_users": "id, name",
    "f_addresses": "id, user_id, email",
    "f_tags": "id, word",
    "f_user_tags": "user_id, tag_id",
    "f_nodes": "id, parent_id, name",
    "f_groups": "id",
    "f_members": "id, group_id, name",
    "f_people": "id, boss_id, favorite_id",
}

WRITE = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)


class Recorder:
    """The writes each flush sends, as [kind, table], runs of the same collapsed."""

    def __init__(self, engine):
        self.writes = []
        event.listen(engine, "before_cursor_execute", self.seen)

    def seen(self, conn, cursor, statement, params, context, executemany):
        m = WRITE.match(statement)
        if m is None:
            return
        entry = [m.group(1).split()[0].upper(), m.group(2)]
        if not self.writes or self.writes[-1] != entry:
            self.writes.append(entry)

    def flush(self, s):
        s.flush()
        self.writes.append(["flush"])


def run(case):
    """Runs `case(session, recorder)` on a fresh database; its writes, then the rows."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        rec = Recorder(engine)
        case(s, rec)
        s.commit()
        out = rec.writes
        for table in sorted(TABLES):
            columns = TABLES[table]
            for row in s.execute(text(f"SELECT {columns} FROM {table} ORDER BY {columns}")):
                out.append(["row", table, *row])
    return out


def seed_user(s, rec, emails):
    """User 'ann' with addresses `emails`, committed without recording."""
    u = User(name="ann", addresses=[Address(email=e) for e in emails])
    s.add(u)
    s.commit()
    rec.writes.clear()
    return u


def fk_sync_order(s, rec):
    # The parent's INSERT comes first; its generated key fills the children's FK.
    u = User(name="ann")
    u.addresses = [Address(email="a1"), Address(email="a2")]
    s.add(u)
    rec.flush(s)


def self_referential_tree(s, rec):
    # Rows of one table in dependency order: a parent before its children.
    root = Node(name="root")
    a, b = Node(name="a"), Node(name="b")
    root.children = [a, b]
    a.children = [Node(name="a1")]
    s.add(root)
    rec.flush(s)


def delete_parent_nulls_children(s, rec):
    # No delete cascade: the children's FK is set to NULL, and the association rows
    # deleted, before the parent goes.
    u = seed_user(s, rec, ["a1", "a2"])
    u.tags = [Tag(word="t1")]
    s.commit()
    rec.writes.clear()
    s.delete(u)
    rec.flush(s)


def delete_orphan(s, rec):
    g = Group(members=[Member(name="m1"), Member(name="m2"), Member(name="m3")])
    s.add(g)
    s.commit()
    rec.writes.clear()
    # A member removed from the collection is deleted, not orphaned.
    g.members.remove(g.members[0])
    rec.flush(s)
    # Deleting the group deletes its members first.
    s.delete(g)
    rec.flush(s)


def post_update(s, rec):
    # Two rows pointing at each other: both INSERTs, then the post_update UPDATE.
    boss, worker = Person(), Person()
    s.add_all([boss, worker])
    worker.boss = boss
    boss.favorite = worker
    rec.flush(s)


def merge_cascade(s, rec):
    u = seed_user(s, rec, ["a1"])
    uid, aid = u.id, u.addresses[0].id
    s.expunge_all()
    # A detached copy with a changed address and a new one, merged back.
    copy = User(id=uid, name="ann2")
    copy.addresses = [Address(id=aid, email="a1-changed"), Address(email="new")]
    s.merge(copy)
    rec.flush(s)


def many_to_many(s, rec):
    u = User(name="ann")
    t1, t2, t3 = Tag(word="t1"), Tag(word="t2"), Tag(word="t3")
    u.tags = [t1, t2]
    s.add(u)
    rec.flush(s)
    u.tags.remove(t1)
    u.tags.append(t3)
    rec.flush(s)


CASES = {
    "flush_fk_sync_order": fk_sync_order,
    "flush_self_referential_tree": self_referential_tree,
    "flush_delete_parent_nulls_children": delete_parent_nulls_children,
    "flush_delete_orphan": delete_orphan,
    "flush_post_update": post_update,
    "flush_merge_cascade": merge_cascade,
    "flush_many_to_many": many_to_many,
}


def main():
    results = {name: run(case) for name, case in CASES.items()}
    with open(sys.argv[1], "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    print(f"differential: SQLAlchemy ran {len(results)} flush cases")


if __name__ == "__main__":
    main()
