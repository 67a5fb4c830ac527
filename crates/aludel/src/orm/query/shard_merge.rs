//! Merging the objects a query loaded from several shards into the one ordered result
//! the query asks for: each shard's list is already in ORDER BY order (its database
//! sorted it), so a k-way merge on the sort keys, read off the objects' columns, gives
//! the whole order; LIMIT and OFFSET are applied once, after the merge (each shard was
//! asked for LIMIT + OFFSET rows and no OFFSET).

use std::cmp::Ordering;

use crate::dialects::Dialect;
use crate::error::{Error, Result};
use crate::orm::mapper::ModelInfo;
use crate::sql::{Direction, Expr, NullsOrder, OrderBy, Select, Value};

/// One ORDER BY key as the merge reads it: a column of the model, its direction, and
/// where its NULLs go.
struct SortKey {
    column: usize,
    descending: bool,
    nulls_first: bool,
}

/// The ORDER BY of a query across shards.
pub(crate) struct ShardOrder {
    keys: Vec<SortKey>,
}

impl ShardOrder {
    /// The order of `select` (of `model`'s rows) on shards of `dialect`; an error for a
    /// key that is not a column of the model (the merge reads keys off the objects).
    pub(crate) fn of(model: &ModelInfo, select: &Select, dialect: &dyn Dialect) -> Result<Self> {
        // PostgreSQL sorts NULL above every value; SQLite and MySQL below.
        let nulls_high = dialect.name() == "postgresql";
        let keys = select
            .order_by
            .iter()
            .map(|key| sort_key(model, key, nulls_high))
            .collect::<Result<_>>()?;
        Ok(ShardOrder { keys })
    }

    /// Merges `lists` (each in this order; their items' sort values read by `values`)
    /// into one list in this order, a shard's items before another's on ties in the
    /// order of `lists`; without keys, the lists one after the other.
    pub(crate) fn merge<T>(
        &self,
        lists: Vec<Vec<T>>,
        values: impl Fn(&T) -> Result<Vec<Value>>,
    ) -> Result<Vec<T>> {
        if self.keys.is_empty() {
            return Ok(lists.into_iter().flatten().collect());
        }
        let total = lists.iter().map(Vec::len).sum();
        let mut heads = Vec::with_capacity(lists.len());
        for list in lists {
            let mut items = list.into_iter();
            let head = match items.next() {
                Some(first) => Some((self.sort_values(&values(&first)?), first)),
                None => None,
            };
            heads.push((head, items));
        }
        let mut out = Vec::with_capacity(total);
        loop {
            let mut best: Option<usize> = None;
            for (i, (head, _)) in heads.iter().enumerate() {
                let Some((key, _)) = head else { continue };
                let better = match best.and_then(|b| heads[b].0.as_ref()) {
                    None => true,
                    Some((best_key, _)) => self.compare(key, best_key)? == Ordering::Less,
                };
                if better {
                    best = Some(i);
                }
            }
            let Some(b) = best else { break };
            let (head, rest) = &mut heads[b];
            let next = match rest.next() {
                Some(item) => Some((self.sort_values(&values(&item)?), item)),
                None => None,
            };
            if let Some((_, item)) = std::mem::replace(head, next) {
                out.push(item);
            }
        }
        Ok(out)
    }

    /// The sort key columns among an object's column values.
    fn sort_values(&self, values: &[Value]) -> Vec<Value> {
        self.keys.iter().map(|k| values[k.column].clone()).collect()
    }

    /// How two objects' sort values compare in this order.
    fn compare(&self, a: &[Value], b: &[Value]) -> Result<Ordering> {
        for (key, (a, b)) in self.keys.iter().zip(a.iter().zip(b)) {
            let ordering = match (a, b) {
                (Value::Null, Value::Null) => Ordering::Equal,
                (Value::Null, _) if key.nulls_first => Ordering::Less,
                (Value::Null, _) => Ordering::Greater,
                (_, Value::Null) if key.nulls_first => Ordering::Greater,
                (_, Value::Null) => Ordering::Less,
                _ if key.descending => compare_values(a, b)?.reverse(),
                _ => compare_values(a, b)?,
            };
            if ordering != Ordering::Equal {
                return Ok(ordering);
            }
        }
        Ok(Ordering::Equal)
    }
}

/// The merge's form of ORDER BY key `key`: a column of `model` (qualified by its table,
/// or bare), or an error naming the key.
fn sort_key(model: &ModelInfo, key: &OrderBy, nulls_high: bool) -> Result<SortKey> {
    let table = model.table.name();
    let column = match &key.expr {
        Expr::Column(c)
            if c.source
                .as_ref()
                .is_none_or(|s| s.qualifier() == Some(table)) =>
        {
            model.columns().iter().position(|col| *col.name == *c.name)
        }
        _ => None,
    };
    let Some(column) = column else {
        return Err(Error::invalid(format!(
            "a query of {} across shards can merge its rows by columns of {} only; \
             ORDER BY {:?} is not one: order by the model's columns, or run the query on \
             one shard (Query::set_shard)",
            model.name, table, key.expr
        )));
    };
    let descending = key.direction == Some(Direction::Desc);
    let nulls_first = match key.nulls {
        Some(NullsOrder::First) => true,
        Some(NullsOrder::Last) => false,
        // The database's default: NULLs first where they sort high and the order is
        // descending, or where they sort low and it is ascending.
        None => nulls_high == descending,
    };
    Ok(SortKey {
        column,
        descending,
        nulls_first,
    })
}

/// How two non-NULL values of a sort key compare (text by code point, which is how the
/// shards must collate it for the merge to agree with them).
fn compare_values(a: &Value, b: &Value) -> Result<Ordering> {
    let ordering = match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Float(x), Value::Float(y)) => x.total_cmp(y),
        (Value::Int(x), Value::Float(y)) => (*x as f64).total_cmp(y),
        (Value::Float(x), Value::Int(y)) => x.total_cmp(&(*y as f64)),
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        (Value::Bytes(x), Value::Bytes(y)) => x.cmp(y),
        (Value::Decimal(x), Value::Decimal(y)) => x.cmp(y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        (Value::Time(x), Value::Time(y)) => x.cmp(y),
        (Value::DateTime(x), Value::DateTime(y)) => x.cmp(y),
        (Value::DateTimeUtc(x), Value::DateTimeUtc(y)) => x.cmp(y),
        (Value::Uuid(x), Value::Uuid(y)) => x.cmp(y),
        _ => {
            return Err(Error::invalid(format!(
                "cannot merge rows from several shards by a sort key whose values are \
                 {a:?} and {b:?}: they do not compare"
            )));
        }
    };
    Ok(ordering)
}

/// The statement each shard runs for a query limited by `select`'s LIMIT and OFFSET,
/// with how many merged rows to skip and keep: every shard is asked for LIMIT + OFFSET
/// rows from the start, since any of them may hold rows of the final page.
pub(crate) fn spread_limit(select: &Select) -> (Select, usize, usize) {
    let offset = select.offset.unwrap_or(0);
    let mut each = select.clone();
    each.limit = select.limit.map(|l| l.saturating_add(offset));
    each.offset = None;
    let keep = select.limit.map_or(usize::MAX, |l| l as usize);
    (each, offset as usize, keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(keys: Vec<SortKey>) -> ShardOrder {
        ShardOrder { keys }
    }

    #[test]
    fn merges_sorted_lists_by_their_keys_with_nulls_where_the_database_puts_them() {
        let asc = order(vec![SortKey {
            column: 0,
            descending: false,
            nulls_first: false,
        }]);
        let lists = vec![
            vec![Value::Int(1), Value::Int(4), Value::Null],
            vec![Value::Int(2), Value::Int(3), Value::Int(5)],
        ];
        let merged = asc.merge(lists, |v| Ok(vec![v.clone()])).unwrap();
        assert_eq!(
            merged,
            [1, 2, 3, 4, 5]
                .map(Value::Int)
                .into_iter()
                .chain([Value::Null])
                .collect::<Vec<_>>()
        );
        let desc = order(vec![SortKey {
            column: 0,
            descending: true,
            nulls_first: true,
        }]);
        let lists = vec![
            vec![Value::Null, Value::Int(9), Value::Int(2)],
            vec![Value::Int(7), Value::Int(3)],
        ];
        let merged = desc.merge(lists, |v| Ok(vec![v.clone()])).unwrap();
        assert_eq!(
            merged,
            [
                Value::Null,
                Value::Int(9),
                Value::Int(7),
                Value::Int(3),
                Value::Int(2)
            ]
        );
    }

    #[test]
    fn values_that_do_not_compare_are_an_error_not_a_guess() {
        let asc = order(vec![SortKey {
            column: 0,
            descending: false,
            nulls_first: false,
        }]);
        let lists = vec![vec![Value::Int(1)], vec![Value::Text("a".into())]];
        let err = asc.merge(lists, |v| Ok(vec![v.clone()])).unwrap_err();
        assert!(err.to_string().contains("do not compare"), "{err}");
    }
}
