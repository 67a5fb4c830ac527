//! Statement shapes: what a statement's SQL depends on, with its bound values left out, so
//! statements that differ only in values share one compiled form (the engine's
//! compiled-shape cache).
//!
//! One walk over the tree writes a [`ShapeKey`] and collects the values. The key holds
//! every node kind, operator, name, literal SQL and flag in walk order, each table by
//! identity (the key keeps the table alive, so its address cannot be reused while the key
//! exists), and of each value only what rendering can depend on: its kind (`Value::Int`,
//! `Value::Text`, ...; a `None` becomes the `NULL` keyword before it reaches the tree, so
//! `= NULL` renders `IS NULL` and has a node of its own), and, for an `IN` list longer than
//! [`LONG_IN_LIST`](crate::dialects::LONG_IN_LIST) bound as one parameter, only the form the
//! dialect binds it in (not its length). An empty `IN` list, short lists of different
//! lengths, a long one, with or without LIMIT, are all different keys.
//!
//! The values are collected with the address of the node that holds them. The compiler
//! records the same addresses for its placeholders, so the cache maps placeholder `i` to
//! the walk position of its value once, when the shape is first compiled, and re-binds a
//! later statement of the shape by that map: the walk order never has to match the order
//! the compiler writes placeholders in.

use std::hash::{Hash, Hasher};

use crate::dialects::Dialect;
use crate::sql::compiled::StatementRef;
use crate::sql::compiler::long_in_form;
use crate::sql::dml::{Delete, Insert, Update};
use crate::sql::elements::{Expr, InTarget, OrderBy};
use crate::sql::schema::Table;
use crate::sql::selectable::{CompoundSelect, Cte, FromItem, Select, SelectStatement};
use crate::sql::text::TextClause;
use crate::sql::value::Value;

/// The structural key of a statement for one dialect: equal for two statements that differ
/// only in their bound values, different whenever the SQL text could differ. Compared in
/// full (never just by hash), so two shapes cannot be confused.
///
/// ```
/// use aludel::dialects::Sqlite;
/// use aludel::sql::{select, Column, Executable, SqlType, Table};
/// let t = Table::build("t").column(Column::new("x", SqlType::Integer)).finish();
/// let a = select([t.c("x")]).where_(t.c("x").eq(1));
/// let b = select([t.c("x")]).where_(t.c("x").eq(2));
/// let c = select([t.c("x")]).where_(t.c("x").eq(None::<i64>)); // IS NULL
/// let key = |s: &aludel::sql::Select| s.statement().unwrap().shape_key(&Sqlite);
/// assert_eq!(key(&a), key(&b));
/// assert_ne!(key(&a), key(&c));
/// ```
#[derive(Clone)]
pub struct ShapeKey {
    bytes: Box<[u8]>,
    /// The tables named by identity in `bytes`, kept alive with the key.
    tables: Box<[Table]>,
}

impl PartialEq for ShapeKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for ShapeKey {}

impl Hash for ShapeKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl std::fmt::Debug for ShapeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ShapeKey({} bytes, {} tables)",
            self.bytes.len(),
            self.tables.len()
        )
    }
}

impl ShapeKey {
    /// An estimate of the memory the key holds, in bytes.
    pub(crate) fn approx_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.bytes.len() + self.tables.len() * 8
    }
}

/// Where a bound value sits in the tree: the address of the node holding it. Valid only
/// while that tree is alive and unchanged (the cache uses addresses only to relate the
/// compiler's placeholders to the walk of the same tree, during one compilation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Addr {
    /// An `Expr::Value` or `Expr::BindParam` node.
    Expr(usize),
    /// The LIMIT field of a select or compound select.
    Limit(usize),
    /// The OFFSET field.
    Offset(usize),
    /// A long `IN` list bound as one array (the address of its items).
    List(usize),
}

impl Addr {
    pub(crate) fn expr(e: &Expr) -> Addr {
        Addr::Expr(e as *const Expr as usize)
    }

    pub(crate) fn limit(field: &Option<u64>) -> Addr {
        Addr::Limit(field as *const Option<u64> as usize)
    }

    pub(crate) fn offset(field: &Option<u64>) -> Addr {
        Addr::Offset(field as *const Option<u64> as usize)
    }

    pub(crate) fn list(items: &[Expr]) -> Addr {
        Addr::List(items.as_ptr() as usize)
    }
}

/// A value found by the walk.
#[derive(Debug, Clone)]
pub(crate) enum Walked<'a> {
    /// A value in the tree.
    Ref(&'a Value),
    /// LIMIT or OFFSET, bound as an integer.
    Int(i64),
    /// A named parameter with no build-time value (it must be supplied).
    Missing,
    /// A long `IN` list of plain values, bound as one array.
    List(&'a [Expr]),
}

impl Walked<'_> {
    pub(crate) fn to_value(&self) -> Option<Value> {
        match self {
            Walked::Ref(v) => Some((*v).clone()),
            Walked::Int(n) => Some(Value::Int(*n)),
            Walked::Missing => None,
            Walked::List(items) => Some(Value::Array(
                items
                    .iter()
                    .map(|item| match item {
                        Expr::Value(v) => v.clone(),
                        _ => Value::Null,
                    })
                    .collect(),
            )),
        }
    }
}

/// A statement's key and its values in walk order, with where each came from.
pub(crate) struct Shape<'a> {
    pub(crate) key: ShapeKey,
    pub(crate) values: Vec<Walked<'a>>,
    pub(crate) addrs: Vec<Addr>,
}

impl<'a> StatementRef<'a> {
    /// The statement's shape key for `dialect` (see [`ShapeKey`]).
    ///
    /// ```
    /// use aludel::dialects::Postgres;
    /// use aludel::sql::{text, Executable};
    /// let a = text("SELECT :x").statement().unwrap().shape_key(&Postgres);
    /// let b = text("SELECT :y").statement().unwrap().shape_key(&Postgres);
    /// assert_ne!(a, b);
    /// ```
    pub fn shape_key(&self, dialect: &dyn Dialect) -> ShapeKey {
        self.shape(dialect).key
    }

    /// The shape key and values of the statement.
    pub(crate) fn shape(&self, dialect: &dyn Dialect) -> Shape<'a> {
        let mut w = Walker {
            dialect,
            bytes: Vec::with_capacity(256),
            tables: Vec::new(),
            values: Vec::new(),
            addrs: Vec::new(),
        };
        match *self {
            StatementRef::Select(s) => {
                w.tag(1);
                w.select(s);
            }
            StatementRef::Compound(c) => {
                w.tag(2);
                w.compound(c);
            }
            StatementRef::Statement(s) => {
                w.tag(3);
                w.statement(s);
            }
            StatementRef::Insert(i) => w.insert(i),
            StatementRef::Update(u) => w.update(u),
            StatementRef::Delete(d) => w.delete(d),
            StatementRef::Text(t) => {
                w.tag(7);
                t.write_shape(&mut w);
            }
        }
        Shape {
            key: ShapeKey {
                bytes: w.bytes.into_boxed_slice(),
                tables: w.tables.into_boxed_slice(),
            },
            values: w.values,
            addrs: w.addrs,
        }
    }
}

/// Writes the key and collects the values of one statement.
pub(crate) struct Walker<'a, 'd> {
    dialect: &'d dyn Dialect,
    bytes: Vec<u8>,
    tables: Vec<Table>,
    values: Vec<Walked<'a>>,
    addrs: Vec<Addr>,
}

impl<'a> Walker<'a, '_> {
    pub(crate) fn tag(&mut self, t: u8) {
        self.bytes.push(t);
    }

    fn flag(&mut self, b: bool) {
        self.bytes.push(b as u8);
    }

    fn len(&mut self, n: usize) {
        self.bytes.extend_from_slice(&(n as u64).to_le_bytes());
    }

    pub(crate) fn str(&mut self, s: &str) {
        self.len(s.len());
        self.bytes.extend_from_slice(s.as_bytes());
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.tag(1);
                self.str(s);
            }
            None => self.tag(0),
        }
    }

    fn table(&mut self, t: &Table) {
        let addr = t.def() as *const _ as usize;
        self.len(addr);
        if !self.tables.iter().any(|k| std::ptr::eq(k.def(), t.def())) {
            self.tables.push(t.clone());
        }
    }

    fn value(&mut self, addr: Addr, v: Walked<'a>) {
        self.values.push(v);
        self.addrs.push(addr);
    }

    fn value_kind(&mut self, v: &Value) {
        self.tag(match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Int(_) => 2,
            Value::Float(_) => 3,
            Value::Text(_) => 4,
            Value::Bytes(_) => 5,
            Value::Date(_) => 6,
            Value::Time(_) => 7,
            Value::DateTime(_) => 8,
            Value::DateTimeUtc(_) => 9,
            Value::Decimal(_) => 10,
            Value::Uuid(_) => 11,
            Value::Json(_) => 12,
            Value::Array(_) => 13,
        });
    }

    fn exprs(&mut self, items: &'a [Expr]) {
        self.len(items.len());
        for e in items {
            self.expr(e);
        }
    }

    pub(crate) fn expr(&mut self, e: &'a Expr) {
        match e {
            Expr::Column(c) => {
                self.tag(10);
                self.str(&c.name);
                match &c.source {
                    Some(s) => {
                        self.tag(1);
                        self.visit_from(s);
                    }
                    None => self.tag(0),
                }
            }
            Expr::Value(v) => {
                self.tag(11);
                self.value_kind(v);
                self.value(Addr::expr(e), Walked::Ref(v));
            }
            Expr::BindParam { name, value } => {
                self.tag(12);
                self.str(name);
                match value {
                    Some(v) => {
                        self.value_kind(v);
                        self.value(Addr::expr(e), Walked::Ref(v));
                    }
                    None => {
                        self.tag(255);
                        self.value(Addr::expr(e), Walked::Missing);
                    }
                }
            }
            Expr::Null => self.tag(13),
            Expr::Bool(b) => {
                self.tag(14);
                self.flag(*b);
            }
            Expr::Raw(sql) => {
                self.tag(15);
                self.str(sql);
            }
            Expr::Text(t) => {
                self.tag(16);
                t.write_shape(self);
            }
            Expr::Star { qualifier } => {
                self.tag(17);
                self.opt_str(qualifier.as_deref());
            }
            Expr::Binary { op, left, right } => {
                self.tag(18);
                self.tag(*op as u8);
                self.expr(left);
                self.expr(right);
            }
            Expr::Unary { op, operand } => {
                self.tag(19);
                self.tag(*op as u8);
                self.expr(operand);
            }
            Expr::BoolList { op, items } => {
                self.tag(20);
                self.tag(*op as u8);
                self.exprs(items);
            }
            Expr::In {
                expr,
                target,
                negated,
            } => {
                self.tag(21);
                self.flag(*negated);
                self.expr(expr);
                match target {
                    InTarget::List(items) => {
                        self.tag(0);
                        // A long list of plain values is one array parameter, in a form
                        // that can depend on its values; its length is not part of the
                        // SQL, so not of the shape either.
                        match long_in_form(self.dialect, items) {
                            Some(form) => {
                                self.tag(1);
                                self.str(form);
                                self.value(Addr::list(items), Walked::List(items));
                            }
                            None => {
                                self.tag(0);
                                self.exprs(items);
                            }
                        }
                    }
                    InTarget::Select(s) => {
                        self.tag(1);
                        self.statement(s);
                    }
                }
            }
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => {
                self.tag(22);
                self.flag(*negated);
                self.expr(expr);
                self.expr(low);
                self.expr(high);
            }
            Expr::Like {
                expr,
                pattern,
                escape,
                case_insensitive,
                negated,
            } => {
                self.tag(23);
                self.flag(*case_insensitive);
                self.flag(*negated);
                self.len(escape.map_or(u32::MAX as usize, |c| c as usize));
                self.expr(expr);
                self.expr(pattern);
            }
            Expr::Function(f) => {
                self.tag(24);
                self.str(&f.name);
                match &f.args {
                    Some(args) => {
                        self.tag(1);
                        self.exprs(args);
                    }
                    None => self.tag(0),
                }
            }
            Expr::Distinct(inner) => {
                self.tag(25);
                self.expr(inner);
            }
            Expr::Case {
                operand,
                whens,
                else_,
            } => {
                self.tag(26);
                match operand {
                    Some(o) => {
                        self.tag(1);
                        self.expr(o);
                    }
                    None => self.tag(0),
                }
                self.len(whens.len());
                for (w, t) in whens {
                    self.expr(w);
                    self.expr(t);
                }
                match else_ {
                    Some(e) => {
                        self.tag(1);
                        self.expr(e);
                    }
                    None => self.tag(0),
                }
            }
            Expr::Cast { expr, ty } => {
                self.tag(27);
                self.str(&format!("{ty:?}"));
                self.expr(expr);
            }
            Expr::Label { expr, name } => {
                self.tag(28);
                self.str(name);
                self.expr(expr);
            }
            Expr::Exists(s) => {
                self.tag(29);
                self.statement(s);
            }
            Expr::Subquery(s) => {
                self.tag(30);
                self.statement(s);
            }
            Expr::Tuple(items) => {
                self.tag(31);
                self.exprs(items);
            }
            Expr::Excluded(name) => {
                self.tag(32);
                self.str(name);
            }
            Expr::Invalid(message) => {
                self.tag(33);
                self.str(message);
            }
        }
    }

    fn order_by(&mut self, keys: &'a [OrderBy]) {
        self.len(keys.len());
        for k in keys {
            self.tag(k.direction.map_or(9, |d| d as u8));
            self.tag(k.nulls.map_or(9, |n| n as u8));
            self.expr(&k.expr);
        }
    }

    fn limit_offset(&mut self, limit: &'a Option<u64>, offset: &'a Option<u64>) {
        let as_int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        for (field, addr) in [(limit, Addr::limit(limit)), (offset, Addr::offset(offset))] {
            match field {
                Some(n) => {
                    self.tag(1);
                    self.value(addr, Walked::Int(as_int(*n)));
                }
                None => self.tag(0),
            }
        }
    }

    pub(crate) fn statement(&mut self, s: &'a SelectStatement) {
        match s {
            SelectStatement::Select(s) => {
                self.tag(40);
                self.select(s);
            }
            SelectStatement::Compound(c) => {
                self.tag(41);
                self.compound(c);
            }
        }
    }

    fn compound(&mut self, c: &'a CompoundSelect) {
        self.len(c.members.len());
        for m in &c.members {
            self.statement(m);
        }
        self.len(c.ops.len());
        for op in &c.ops {
            self.tag(*op as u8);
        }
        self.order_by(&c.order_by);
        self.limit_offset(&c.limit, &c.offset);
    }

    fn select(&mut self, s: &'a Select) {
        self.exprs(&s.columns);
        self.len(s.from.len());
        for f in &s.from {
            self.visit_from(f);
        }
        self.len(s.joins.len());
        for (kind, target, on) in &s.joins {
            self.tag(*kind as u8);
            self.visit_from(target);
            self.expr(on);
        }
        self.exprs(&s.where_);
        self.exprs(&s.group_by);
        self.exprs(&s.having);
        self.order_by(&s.order_by);
        self.limit_offset(&s.limit, &s.offset);
        self.flag(s.distinct);
        self.exprs(&s.distinct_on);
        match &s.lock {
            Some(lock) => {
                self.tag(1);
                self.tag(lock.strength as u8);
                self.tag(lock.wait as u8);
                self.len(lock.of.len());
                for f in &lock.of {
                    self.visit_from(f);
                }
            }
            None => self.tag(0),
        }
        for list in [&s.prefixes, &s.suffixes] {
            self.len(list.len());
            for p in list {
                self.str(p);
            }
        }
        self.len(s.hints.len());
        for h in &s.hints {
            self.opt_str(h.target.as_deref());
            self.str(&h.text);
            self.str(&h.dialect);
        }
        match &s.correlate {
            Some(names) => {
                self.tag(1);
                self.len(names.len());
                for n in names {
                    self.str(n);
                }
            }
            None => self.tag(0),
        }
        self.tag(s.label_style as u8);
    }

    fn visit_from(&mut self, f: &'a FromItem) {
        match f {
            FromItem::Table(t) => {
                self.tag(50);
                self.table(t);
            }
            FromItem::Alias(a) => {
                self.tag(51);
                self.str(&a.name);
                self.visit_from(&a.inner);
            }
            FromItem::Join(j) => {
                self.tag(52);
                self.tag(j.kind as u8);
                self.visit_from(&j.left);
                self.visit_from(&j.right);
                self.expr(&j.on);
            }
            FromItem::Subquery(s) => {
                self.tag(53);
                self.str(&s.name);
                self.statement(&s.select);
            }
            FromItem::Cte(c) => self.cte(c),
        }
    }

    fn cte(&mut self, c: &'a Cte) {
        self.tag(54);
        self.str(&c.0.name);
        self.flag(c.0.recursive);
        self.len(c.0.generation as usize);
        self.statement(&c.0.select);
    }

    fn returning(&mut self, exprs: &'a [Expr]) {
        self.exprs(exprs);
    }

    fn insert(&mut self, i: &'a Insert) {
        self.tag(4);
        self.table(&i.table);
        self.len(i.columns.len());
        for c in &i.columns {
            self.str(c);
        }
        self.len(i.rows.len());
        for row in &i.rows {
            self.exprs(row);
        }
        match &i.from_select {
            Some(s) => {
                self.tag(1);
                self.statement(s);
            }
            None => self.tag(0),
        }
        self.returning(&i.returning);
        match &i.on_conflict {
            Some(oc) => {
                self.tag(1);
                self.len(oc.target.len());
                for t in &oc.target {
                    self.str(t);
                }
                self.assignments(&oc.set);
            }
            None => self.tag(0),
        }
    }

    fn assignments(&mut self, set: &'a [(String, Expr)]) {
        self.len(set.len());
        for (column, value) in set {
            self.str(column);
            self.expr(value);
        }
    }

    fn update(&mut self, u: &'a Update) {
        self.tag(5);
        self.table(&u.table);
        self.assignments(&u.set);
        self.exprs(&u.where_);
        self.returning(&u.returning);
        self.len(u.prefixes.len());
        for p in &u.prefixes {
            self.str(p);
        }
        match u.mysql_limit {
            Some(n) => {
                self.tag(1);
                self.str(&n.to_string());
            }
            None => self.tag(0),
        }
    }

    fn delete(&mut self, d: &'a Delete) {
        self.tag(6);
        self.table(&d.table);
        self.exprs(&d.where_);
        self.returning(&d.returning);
    }
}

impl TextClause {
    /// Writes the text's parts into a shape key (its parameters are always supplied by
    /// name at execution, so it holds no values).
    pub(crate) fn write_shape(&self, w: &mut Walker<'_, '_>) {
        self.for_each_part(|sql, param| match (sql, param) {
            (Some(s), _) => {
                w.tag(0);
                w.str(s);
            }
            (None, Some(p)) => {
                w.tag(1);
                w.str(p);
            }
            (None, None) => {}
        });
    }
}
