//! [`RelationshipInfo`]: what `#[relationship(...)]` declares on a field, recorded in the
//! owner's [`ModelInfo`], with the [`Cascade`] and [`Loading`] options it carries.

use std::any::Any;
use std::sync::{Arc, OnceLock};

use crate::engine::RowView;
use crate::error::{Error, Result};
use crate::orm::deferred::ColumnLayout;
use crate::orm::identity::IdentityMap;
use crate::orm::instance::{AnyInstance, downcast};
use crate::orm::loading::LoadOptions;
use crate::orm::mapper::{Model, ModelInfo};
use crate::orm::relationship::attribute::{AnySlot, RelationField};
use crate::orm::relationship::configure::{Resolved, resolve};
use crate::orm::session::{MergeMemo, Session, SessionInner};
use crate::sql::{Expr, FromItem, Select, Table};

/// Which operations on an object travel along a relationship to the related objects
/// (SQLAlchemy's `cascade`). The default is `save-update, merge`; `all` is every one
/// except `delete-orphan`.
///
/// ```
/// use aludel::orm::Cascade;
/// let c = Cascade::default();
/// assert!(c.save_update && c.merge && !c.delete);
/// let all = Cascade::all().with_delete_orphan();
/// assert!(all.delete && all.delete_orphan && all.expunge);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cascade {
    /// Related objects are added to the session with their parent.
    pub save_update: bool,
    /// `Session::merge` merges related objects too.
    pub merge: bool,
    /// Deleting the parent deletes the related objects.
    pub delete: bool,
    /// A child removed from its parent's collection is deleted.
    pub delete_orphan: bool,
    /// Expunging the parent expunges the related objects.
    pub expunge: bool,
    /// Refreshing or expiring the parent does the same to the related objects.
    pub refresh_expire: bool,
}

impl Default for Cascade {
    fn default() -> Self {
        Cascade {
            save_update: true,
            merge: true,
            delete: false,
            delete_orphan: false,
            expunge: false,
            refresh_expire: false,
        }
    }
}

impl Cascade {
    /// No cascade at all (`cascade = ""`).
    ///
    /// ```
    /// assert!(!aludel::orm::Cascade::none().save_update);
    /// ```
    pub fn none() -> Self {
        Cascade {
            save_update: false,
            merge: false,
            delete: false,
            delete_orphan: false,
            expunge: false,
            refresh_expire: false,
        }
    }

    /// `all`: save-update, merge, delete, expunge and refresh-expire.
    ///
    /// ```
    /// assert!(aludel::orm::Cascade::all().refresh_expire);
    /// ```
    pub fn all() -> Self {
        Cascade {
            save_update: true,
            merge: true,
            delete: true,
            delete_orphan: false,
            expunge: true,
            refresh_expire: true,
        }
    }

    /// Adds `delete-orphan`.
    ///
    /// ```
    /// assert!(aludel::orm::Cascade::all().with_delete_orphan().delete_orphan);
    /// ```
    pub fn with_delete_orphan(mut self) -> Self {
        self.delete_orphan = true;
        self
    }
}

/// How a relationship is loaded when a query says nothing else (SQLAlchemy's `lazy=`),
/// and the strategies the loader options choose from.
///
/// ```
/// assert_eq!(aludel::orm::Loading::default(), aludel::orm::Loading::Select);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Loading {
    /// Loaded on first access, with its own SELECT (`lazy="select"`); a many-to-one whose
    /// target is in the identity map costs no SQL.
    #[default]
    Select,
    /// Loaded with the parent's query, through a LEFT OUTER JOIN (INNER with `innerjoin`).
    Joined,
    /// Loaded right after the parents, with `SELECT ... WHERE key IN (...)` batches.
    Selectin,
    /// Loaded right after the parents, with one SELECT joined to the parents' query.
    Subquery,
    /// Loaded right after each parent, one SELECT per parent.
    Immediate,
    /// Never loaded: reads as empty (or `None`).
    Noload,
    /// Reading it unloaded is an error.
    Raise,
    /// Reading it unloaded is an error if it needs SQL (a many-to-one found in the identity
    /// map is served).
    RaiseOnSql,
}

/// Which way a relationship points, found from the foreign keys when mappers are
/// configured.
///
/// ```
/// assert_ne!(aludel::orm::Direction::ManyToOne, aludel::orm::Direction::OneToMany);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The owner's table holds the foreign key (`Address.user`).
    ManyToOne,
    /// The target's table holds the foreign key (`User.addresses`).
    OneToMany,
    /// A secondary (association) table holds both foreign keys.
    ManyToMany,
}

/// The operations on a relationship's target model that code without its type needs:
/// loading targets from a statement, building one from a row read in place.
pub(crate) trait TargetOps: Send + Sync {
    /// The target objects the rows of `stmt` load (columns in model order).
    fn load(
        &self,
        session: &Session,
        stmt: &Select,
        opts: &LoadOptions,
    ) -> Result<Vec<Arc<dyn AnyInstance>>>;
    /// Merges a target object into `session` (the merge cascade).
    fn merge(
        &self,
        session: &Session,
        obj: &Arc<dyn AnyInstance>,
        memo: &mut MergeMemo,
    ) -> Result<Arc<dyn AnyInstance>>;
    /// The session's object for the target columns of `row` starting at `offset` and laid
    /// out as `layout` says (every column when `None`); `None` when the row's key columns
    /// are NULL (an outer join that matched nothing).
    fn row(
        &self,
        session: &SessionInner,
        identity: &mut IdentityMap,
        row: &dyn RowView,
        offset: usize,
        layout: Option<&ColumnLayout>,
    ) -> Result<Option<Arc<dyn AnyInstance>>>;
}

struct Ops<C>(std::marker::PhantomData<fn() -> C>);

impl<C: Model> TargetOps for Ops<C> {
    fn load(
        &self,
        session: &Session,
        stmt: &Select,
        opts: &LoadOptions,
    ) -> Result<Vec<Arc<dyn AnyInstance>>> {
        Ok(session
            .load::<C>(stmt, opts)?
            .into_iter()
            .map(|i| i.erased())
            .collect())
    }

    fn merge(
        &self,
        session: &Session,
        obj: &Arc<dyn AnyInstance>,
        memo: &mut MergeMemo,
    ) -> Result<Arc<dyn AnyInstance>> {
        let typed = downcast::<C>(obj).ok_or_else(|| {
            Error::invalid(format!("a related object is not a {}", C::info().name))
        })?;
        Ok(session.merge_with(&typed, memo)?.erased())
    }

    fn row(
        &self,
        session: &SessionInner,
        identity: &mut IdentityMap,
        row: &dyn RowView,
        offset: usize,
        layout: Option<&ColumnLayout>,
    ) -> Result<Option<Arc<dyn AnyInstance>>> {
        session
            .instance_laid_out::<C>(identity, row, offset, false, layout)
            .map(|o| o.map(|i| i.erased()))
    }
}

/// The accessor from an owner object (as `Any`) to one of its relationship fields.
type SlotAccess = Box<dyn for<'a> Fn(&'a dyn Any) -> Option<&'a dyn AnySlot> + Send + Sync>;

/// One relationship of a model, as `#[relationship(...)]` declared it on a `Many<T>` or
/// `One<T>` field. The direction and the columns it joins on are worked out from the
/// foreign keys when first needed ([`RelationshipInfo::direction`]); a mistake there
/// (no foreign key path, several, an unknown `back_populates`) is a configuration error
/// naming the model and the relationship.
///
/// ```
/// use aludel::orm::{Direction, Many, Model, One};
///
/// #[derive(aludel::Model)]
/// #[model(table = "users")]
/// struct User {
///     #[column(primary_key)]
///     id: i64,
///     #[relationship(back_populates = "user")]
///     addresses: Many<Address>,
/// }
///
/// #[derive(aludel::Model)]
/// #[model(table = "addresses")]
/// struct Address {
///     #[column(primary_key)]
///     id: i64,
///     #[column(foreign_key = "users.id")]
///     user_id: Option<i64>,
///     #[relationship(back_populates = "addresses")]
///     user: One<User>,
/// }
///
/// let rel = &User::info().relationships[0];
/// assert_eq!((rel.name, rel.uselist), ("addresses", true));
/// assert_eq!(rel.direction(User::info())?, Direction::OneToMany);
/// assert_eq!(Address::info().relationships[0].direction(Address::info())?, Direction::ManyToOne);
/// # Ok::<(), aludel::Error>(())
/// ```
pub struct RelationshipInfo {
    /// The field's name.
    pub name: &'static str,
    /// Whether it holds a collection (`Many<T>`) or one object (`One<T>`).
    pub uselist: bool,
    /// The target model's info.
    pub target: fn() -> &'static ModelInfo,
    /// The association table of a many-to-many relationship.
    pub secondary: Option<Table>,
    /// The relationship on the target that mirrors this one.
    pub back_populates: Option<&'static str>,
    /// Target fields a collection is ordered by (`"name"`, or `"name desc"`).
    pub order_by: Vec<&'static str>,
    /// What travels along the relationship.
    pub cascade: Cascade,
    /// The default loader strategy.
    pub loading: Loading,
    /// Read-only: loads, but changes to it are not flushed.
    pub viewonly: bool,
    /// The foreign key columns to join on (by field or column name), when several paths
    /// exist.
    pub foreign_keys: Vec<&'static str>,
    /// For a self-referential relationship, the columns on the remote side (`"id"` makes
    /// `Node.parent` many-to-one).
    pub remote_side: Vec<&'static str>,
    /// Joined eager loading uses an INNER JOIN.
    pub innerjoin: bool,
    /// Deleting the parent leaves the children to the database's `ON DELETE` rule (no
    /// load of the children).
    pub passive_deletes: bool,
    /// The foreign key is written by a second UPDATE, breaking a dependency cycle.
    pub post_update: bool,
    /// How deep a self-referential joined load goes.
    pub join_depth: Option<usize>,
    /// A criterion on the target (given its table or alias) that every join and load of
    /// the relationship adds to the foreign-key equality: see
    /// [`primaryjoin`](RelationshipInfo::primaryjoin).
    pub primaryjoin: Option<fn(&FromItem) -> Expr>,
    pub(crate) slot: SlotAccess,
    pub(crate) ops: &'static dyn TargetOps,
    resolved: OnceLock<std::result::Result<Resolved, String>>,
}

impl std::fmt::Debug for RelationshipInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelationshipInfo")
            .field("name", &self.name)
            .field("target", &(self.target)().name)
            .field("uselist", &self.uselist)
            .field("back_populates", &self.back_populates)
            .field("loading", &self.loading)
            .finish()
    }
}

impl RelationshipInfo {
    /// A relationship of owner `P` through field `name`, read by `access` (the derive
    /// builds this; options are set with the builder methods).
    ///
    /// ```
    /// use aludel::orm::{Many, RelationshipInfo};
    /// # #[derive(aludel::Model)] #[model(table = "p")] struct P { #[column(primary_key)] id: i64, #[relationship] kids: Many<K> }
    /// # #[derive(aludel::Model)] #[model(table = "k")] struct K { #[column(primary_key)] id: i64, #[column(foreign_key = "p.id")] p_id: i64 }
    /// let rel = RelationshipInfo::new::<P, Many<K>>("kids", |p| &p.kids).order_by(&["id"]);
    /// assert_eq!(rel.order_by, ["id"]);
    /// ```
    pub fn new<P: Model, F: RelationField>(name: &'static str, access: fn(&P) -> &F) -> Self {
        RelationshipInfo {
            name,
            uselist: F::USELIST,
            target: <F::Target as Model>::info,
            secondary: None,
            back_populates: None,
            order_by: Vec::new(),
            cascade: Cascade::default(),
            loading: Loading::default(),
            viewonly: false,
            foreign_keys: Vec::new(),
            remote_side: Vec::new(),
            innerjoin: false,
            passive_deletes: false,
            post_update: false,
            join_depth: None,
            primaryjoin: None,
            slot: Box::new(move |owner: &dyn Any| {
                owner.downcast_ref::<P>().map(|p| access(p).slot().0)
            }),
            ops: &Ops::<F::Target>(std::marker::PhantomData),
            resolved: OnceLock::new(),
        }
    }

    /// Sets the association table (many-to-many).
    ///
    /// ```
    /// # use aludel::orm::{Many, RelationshipInfo};
    /// # #[derive(aludel::Model)] #[model(table = "p")] struct P { #[column(primary_key)] id: i64, #[relationship] kids: Many<P> }
    /// let t = aludel::sql::Table::build("p_p").finish();
    /// assert!(RelationshipInfo::new::<P, Many<P>>("kids", |p| &p.kids).secondary(t).secondary.is_some());
    /// ```
    pub fn secondary(mut self, table: Table) -> Self {
        self.secondary = Some(table);
        self
    }

    /// Names the mirroring relationship on the target.
    ///
    /// ```
    /// # use aludel::orm::{Many, RelationshipInfo};
    /// # #[derive(aludel::Model)] #[model(table = "p")] struct P { #[column(primary_key)] id: i64, #[relationship] kids: Many<P> }
    /// assert_eq!(RelationshipInfo::new::<P, Many<P>>("kids", |p| &p.kids).back_populates("parent").back_populates, Some("parent"));
    /// ```
    pub fn back_populates(mut self, name: &'static str) -> Self {
        self.back_populates = Some(name);
        self
    }

    /// Orders a collection by target fields (`"name"` or `"name desc"`).
    ///
    /// ```
    /// # use aludel::orm::{Many, RelationshipInfo};
    /// # #[derive(aludel::Model)] #[model(table = "p")] struct P { #[column(primary_key)] id: i64, #[relationship] kids: Many<P> }
    /// assert_eq!(RelationshipInfo::new::<P, Many<P>>("kids", |p| &p.kids).order_by(&["id desc"]).order_by, ["id desc"]);
    /// ```
    pub fn order_by(mut self, fields: &[&'static str]) -> Self {
        self.order_by = fields.to_vec();
        self
    }

    /// Sets the cascade.
    ///
    /// ```
    /// # use aludel::orm::{Cascade, Many, RelationshipInfo};
    /// # #[derive(aludel::Model)] #[model(table = "p")] struct P { #[column(primary_key)] id: i64, #[relationship] kids: Many<P> }
    /// assert!(RelationshipInfo::new::<P, Many<P>>("kids", |p| &p.kids).cascade(Cascade::all()).cascade.delete);
    /// ```
    pub fn cascade(mut self, cascade: Cascade) -> Self {
        self.cascade = cascade;
        self
    }

    /// Sets the default loader strategy.
    ///
    /// ```
    /// # use aludel::orm::{Loading, Many, RelationshipInfo};
    /// # #[derive(aludel::Model)] #[model(table = "p")] struct P { #[column(primary_key)] id: i64, #[relationship] kids: Many<P> }
    /// assert_eq!(RelationshipInfo::new::<P, Many<P>>("kids", |p| &p.kids).loading(Loading::Selectin).loading, Loading::Selectin);
    /// ```
    pub fn loading(mut self, loading: Loading) -> Self {
        self.loading = loading;
        self
    }

    /// Sets the remaining flags at once: `viewonly`, `innerjoin`, `passive_deletes`,
    /// `post_update`.
    ///
    /// ```
    /// # use aludel::orm::{Many, RelationshipInfo};
    /// # #[derive(aludel::Model)] #[model(table = "p")] struct P { #[column(primary_key)] id: i64, #[relationship] kids: Many<P> }
    /// let r = RelationshipInfo::new::<P, Many<P>>("kids", |p| &p.kids).flags(true, false, true, false);
    /// assert!(r.viewonly && r.passive_deletes && !r.innerjoin);
    /// ```
    pub fn flags(
        mut self,
        viewonly: bool,
        innerjoin: bool,
        passive_deletes: bool,
        post_update: bool,
    ) -> Self {
        self.viewonly = viewonly;
        self.innerjoin = innerjoin;
        self.passive_deletes = passive_deletes;
        self.post_update = post_update;
        self
    }

    /// Names the foreign key columns to join on and, for a self-referential relationship,
    /// the remote side.
    ///
    /// ```
    /// # use aludel::orm::{Many, RelationshipInfo};
    /// # #[derive(aludel::Model)] #[model(table = "p")] struct P { #[column(primary_key)] id: i64, #[relationship] kids: Many<P> }
    /// let r = RelationshipInfo::new::<P, Many<P>>("kids", |p| &p.kids).columns(&["parent_id"], &["id"]);
    /// assert_eq!((r.foreign_keys.len(), r.remote_side.len()), (1, 1));
    /// ```
    pub fn columns(mut self, foreign_keys: &[&'static str], remote_side: &[&'static str]) -> Self {
        self.foreign_keys = foreign_keys.to_vec();
        self.remote_side = remote_side.to_vec();
        self
    }

    /// Sets how deep a self-referential joined load goes.
    ///
    /// ```
    /// # use aludel::orm::{Many, RelationshipInfo};
    /// # #[derive(aludel::Model)] #[model(table = "p")] struct P { #[column(primary_key)] id: i64, #[relationship] kids: Many<P> }
    /// assert_eq!(RelationshipInfo::new::<P, Many<P>>("kids", |p| &p.kids).join_depth(3).join_depth, Some(3));
    /// ```
    pub fn join_depth(mut self, depth: usize) -> Self {
        self.join_depth = Some(depth);
        self
    }

    /// Narrows the relationship with a criterion on its target (SQLAlchemy's `primaryjoin
    /// = and_(<the foreign-key equality>, <criterion>)`, e.g. the addresses of a user that
    /// are at one domain): `#[relationship(viewonly, primaryjoin = path::to::fn)]` names a
    /// `fn(&FromItem) -> Expr` that builds the criterion over the target's table or alias.
    /// Lazy, selectin, subquery and joined loads, `join_rel` and `with_parent` all add it;
    /// the foreign keys still say how the two sides match. Such a relationship must be
    /// `viewonly` (the flush could not keep the criterion true), else configuring it is an
    /// error naming it.
    ///
    /// ```
    /// use aludel::orm::{Many, Model, Session};
    /// use aludel::sql::{Executable, Expr, FromItem};
    /// fn at_example(address: &FromItem) -> Expr { address.c("email").like("%@example.com") }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64, email: String }
    /// #[derive(aludel::Model)]
    /// #[model(table = "users")]
    /// struct User {
    ///     #[column(primary_key)]
    ///     id: i64,
    ///     #[relationship(viewonly, primaryjoin = at_example)]
    ///     work_addresses: Many<Address>,
    /// }
    /// let engine = aludel::create_engine("sqlite://")?;
    /// let q = Session::new(&engine).query::<User>().join_rel(User::work_addresses);
    /// assert_eq!(
    ///     q.statement().compile(&aludel::dialects::Sqlite)?.sql,
    ///     "SELECT users.id FROM users JOIN addresses ON users.id = addresses.user_id AND addresses.email LIKE ?"
    /// );
    /// # Ok::<(), aludel::Error>(())
    /// ```
    pub fn primaryjoin(mut self, criterion: fn(&FromItem) -> Expr) -> Self {
        self.primaryjoin = Some(criterion);
        self
    }

    /// `on` with the [`primaryjoin`](Self::primaryjoin) criterion over `target` added.
    pub(crate) fn narrowed(&self, on: Expr, target: &FromItem) -> Expr {
        match self.primaryjoin {
            Some(criterion) => on.and(criterion(target)),
            None => on,
        }
    }

    /// Which way the relationship points, or the configuration error that says why that
    /// cannot be worked out (see the type's example).
    pub fn direction(&self, owner: &ModelInfo) -> Result<Direction> {
        Ok(self.resolved(owner)?.direction)
    }

    /// The relationship worked out against the foreign keys, on first use.
    pub(crate) fn resolved(&self, owner: &ModelInfo) -> Result<&Resolved> {
        self.resolved
            .get_or_init(|| resolve(owner, self))
            .as_ref()
            .map_err(|m| Error::config(m.clone()))
    }

    /// The relationship's field in `owner` (an object of the owning model).
    pub(crate) fn slot_of<'a>(&self, owner: &'a dyn Any) -> Result<&'a dyn AnySlot> {
        (self.slot)(owner).ok_or_else(|| {
            Error::invalid(format!("relationship {} read on another model", self.name))
        })
    }
}
