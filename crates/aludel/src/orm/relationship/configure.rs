//! Configuring a relationship: working out its direction and join columns from the
//! tables' foreign keys, and checking its `back_populates`, `order_by`, `foreign_keys`
//! and `remote_side` names (SQLAlchemy's `configure_mappers`). Every mistake is a
//! configuration error that names the model and the relationship.

use crate::orm::mapper::ModelInfo;
use crate::orm::relationship::info::{Direction, RelationshipInfo};
use crate::sql::Table;

/// A relationship worked out against the foreign keys.
#[derive(Debug)]
pub(crate) struct Resolved {
    pub(crate) direction: Direction,
    /// For a direct relationship, the equal column pairs (owner column, target column):
    /// many-to-one pairs the owner's foreign key with the target column it references,
    /// one-to-many the owner's referenced column with the target's foreign key.
    pub(crate) pairs: Vec<(usize, usize)>,
    /// For many-to-many, the owner columns and the association columns naming them.
    pub(crate) secondary_owner: Vec<(usize, String)>,
    /// For many-to-many, the target columns and the association columns naming them.
    pub(crate) secondary_target: Vec<(usize, String)>,
    /// The index of the mirroring relationship among the target's relationships.
    pub(crate) reverse: Option<usize>,
    /// The collection's order: target column and whether descending.
    pub(crate) order_by: Vec<(usize, bool)>,
}

impl Resolved {
    /// The owner columns whose values identify the related rows (the many-to-one's foreign
    /// key, else the owner columns referenced).
    pub(crate) fn owner_columns(&self) -> Vec<usize> {
        match self.direction {
            Direction::ManyToMany => self.secondary_owner.iter().map(|(c, _)| *c).collect(),
            _ => self.pairs.iter().map(|(o, _)| *o).collect(),
        }
    }

    /// Whether a many-to-one's target columns are exactly the target's primary key, in
    /// order, so a lookup in the identity map can replace the SELECT.
    pub(crate) fn targets_primary_key(&self, target: &ModelInfo) -> bool {
        self.direction == Direction::ManyToOne
            && self.pairs.iter().map(|(_, t)| *t).collect::<Vec<_>>() == target.primary_key
    }
}

/// Works out `rel` of `owner`, or the message of the configuration error.
pub(crate) fn resolve(owner: &ModelInfo, rel: &RelationshipInfo) -> Result<Resolved, String> {
    let target = (rel.target)();
    let what = format!("relationship {}.{}", owner.name, rel.name);
    if rel.primaryjoin.is_some() && !rel.viewonly {
        return Err(format!(
            "{what} has a primaryjoin criterion, which the flush cannot keep true: declare it viewonly"
        ));
    }
    let reverse = match rel.back_populates {
        None => None,
        Some(name) => {
            let index = target
                .relationships
                .iter()
                .position(|r| r.name == name)
                .ok_or_else(|| {
                    let known: Vec<&str> = target.relationships.iter().map(|r| r.name).collect();
                    format!(
                        "{what}: back_populates names '{name}', which {} does not have (relationships: {})",
                        target.name,
                        if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                    )
                })?;
            let back = &target.relationships[index];
            if (back.target)().type_id != owner.type_id {
                return Err(format!(
                    "{what}: back_populates names {}.{name}, which points to {}, not {}",
                    target.name,
                    (back.target)().name,
                    owner.name
                ));
            }
            Some(index)
        }
    };
    let order_by = rel
        .order_by
        .iter()
        .map(|spec| {
            let mut words = spec.split_whitespace();
            let field = words.next().unwrap_or_default();
            let desc = match words.next().map(str::to_ascii_lowercase).as_deref() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(other) => {
                    return Err(format!(
                        "{what}: order_by '{spec}': expected asc or desc after the field, found '{other}'"
                    ));
                }
            };
            target
                .column_index(field)
                .map(|c| (c, desc))
                .ok_or_else(|| format!("{what}: order_by: {}", target.no_such_name(field)))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mut resolved = match &rel.secondary {
        Some(secondary) => many_to_many(owner, target, rel, secondary, &what)?,
        None => direct(owner, target, rel, &what)?,
    };
    if rel.uselist && resolved.direction == Direction::ManyToOne {
        return Err(format!(
            "{what} is many-to-one ({} holds the foreign key), so it holds one object: declare it One<{}>",
            owner.name, target.name
        ));
    }
    resolved.reverse = reverse;
    resolved.order_by = order_by;
    Ok(resolved)
}

/// The foreign keys of `from`'s columns that reference table `to`: (column index in
/// `from`, referenced column index in `to_info`), restricted to `only` when given.
fn references(
    from: &ModelInfo,
    to: &ModelInfo,
    only: &[&str],
    what: &str,
) -> Result<Vec<(usize, usize)>, String> {
    let mut out = Vec::new();
    for (i, c) in from.columns().iter().enumerate() {
        let Some(fk) = &c.foreign_key else { continue };
        if fk.table != to.table.name() {
            continue;
        }
        if !only.is_empty() && !only.iter().any(|n| *n == c.name || *n == from.fields[i]) {
            continue;
        }
        let target = to
            .columns()
            .iter()
            .position(|t| t.name == fk.column)
            .ok_or_else(|| {
                format!(
                    "{what}: {}.{} references {}.{}, which is not a column of {}",
                    from.name, c.name, fk.table, fk.column, to.name
                )
            })?;
        out.push((i, target));
    }
    Ok(out)
}

/// Several foreign key columns referencing the same column are several join paths.
fn single_path(links: &[(usize, usize)]) -> bool {
    let mut referenced: Vec<usize> = links.iter().map(|(_, t)| *t).collect();
    referenced.sort_unstable();
    referenced.windows(2).all(|w| w[0] != w[1])
}

fn direct(
    owner: &ModelInfo,
    target: &ModelInfo,
    rel: &RelationshipInfo,
    what: &str,
) -> Result<Resolved, String> {
    let outgoing = references(owner, target, &rel.foreign_keys, what)?;
    let incoming = references(target, owner, &rel.foreign_keys, what)?;
    let hint = "name the columns with foreign_keys = [\"...\"]";
    let self_referential = owner.type_id == target.type_id;
    let direction = if self_referential {
        if outgoing.is_empty() {
            return Err(format!(
                "{what}: no foreign key of {} references its own table",
                owner.name
            ));
        }
        // Adjacency list: remote_side names the referenced column for the many-to-one
        // (`Node.parent`); otherwise the relationship is the one-to-many (`Node.children`).
        let referenced_remote = rel.remote_side.iter().any(|name| {
            outgoing
                .iter()
                .any(|(_, t)| target.columns()[*t].name == *name || target.fields[*t] == *name)
        });
        if referenced_remote {
            Direction::ManyToOne
        } else {
            Direction::OneToMany
        }
    } else {
        match (outgoing.is_empty(), incoming.is_empty()) {
            (true, true) => {
                return Err(format!(
                    "{what}: no foreign key links {} ({}) and {} ({}); add #[column(foreign_key = ...)]{}",
                    owner.name,
                    owner.table.name(),
                    target.name,
                    target.table.name(),
                    if rel.foreign_keys.is_empty() {
                        ""
                    } else {
                        " or fix foreign_keys"
                    }
                ));
            }
            (false, true) => Direction::ManyToOne,
            (true, false) => Direction::OneToMany,
            (false, false) => {
                return Err(format!(
                    "{what}: both {} and {} have foreign keys to each other, so the direction is ambiguous; {hint}",
                    owner.name, target.name
                ));
            }
        }
    };
    let pairs: Vec<(usize, usize)> = match direction {
        Direction::ManyToOne => outgoing,
        // One-to-many: the target's foreign key names the owner column.
        _ if self_referential => outgoing.iter().map(|&(fk, pk)| (pk, fk)).collect(),
        _ => incoming.iter().map(|&(fk, pk)| (pk, fk)).collect(),
    };
    let check: Vec<(usize, usize)> = match direction {
        Direction::ManyToOne => pairs.clone(),
        _ => pairs.iter().map(|&(o, t)| (t, o)).collect(),
    };
    if !single_path(&check) {
        return Err(format!(
            "{what}: there are several foreign key paths between {} and {}; {hint}",
            owner.name, target.name
        ));
    }
    Ok(Resolved {
        direction,
        pairs,
        secondary_owner: Vec::new(),
        secondary_target: Vec::new(),
        reverse: None,
        order_by: Vec::new(),
    })
}

fn many_to_many(
    owner: &ModelInfo,
    target: &ModelInfo,
    rel: &RelationshipInfo,
    secondary: &Table,
    what: &str,
) -> Result<Resolved, String> {
    let mut to_owner = Vec::new();
    let mut to_target = Vec::new();
    let self_referential = owner.type_id == target.type_id;
    for c in &secondary.def().columns {
        let Some(fk) = &c.foreign_key else { continue };
        let index_in = |info: &ModelInfo| {
            info.columns()
                .iter()
                .position(|t| t.name == fk.column)
                .ok_or_else(|| {
                    format!(
                        "{what}: {}.{} references {}.{}, which is not a column of {}",
                        secondary.name(),
                        c.name,
                        fk.table,
                        fk.column,
                        info.name
                    )
                })
        };
        if self_referential && fk.table == owner.table.name() {
            // Both keys point at one table: foreign_keys names the owner's side.
            if rel.foreign_keys.is_empty() {
                return Err(format!(
                    "{what}: both foreign keys of {} reference {}; name the owner's with foreign_keys = [\"...\"]",
                    secondary.name(),
                    owner.table.name()
                ));
            }
            if rel.foreign_keys.contains(&c.name.as_str()) {
                to_owner.push((index_in(owner)?, c.name.clone()));
            } else {
                to_target.push((index_in(target)?, c.name.clone()));
            }
        } else if fk.table == owner.table.name() {
            to_owner.push((index_in(owner)?, c.name.clone()));
        } else if fk.table == target.table.name() {
            to_target.push((index_in(target)?, c.name.clone()));
        }
    }
    if to_owner.is_empty() || to_target.is_empty() {
        return Err(format!(
            "{what}: the association table {} needs a foreign key to {} and one to {}",
            secondary.name(),
            owner.table.name(),
            target.table.name()
        ));
    }
    Ok(Resolved {
        direction: Direction::ManyToMany,
        pairs: Vec::new(),
        secondary_owner: to_owner,
        secondary_target: to_target,
        reverse: None,
        order_by: Vec::new(),
    })
}
