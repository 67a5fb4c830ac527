//! Loader options (SQLAlchemy's `selectinload`, `joinedload`, ..., `Load`): typed paths
//! of relationships, each step with the strategy that loads it, which
//! [`Query::options`](crate::orm::Query::options) erases into a [`LoaderTree`].
//!
//! A path is checked by the compiler: `selectinload(User::orders).selectinload(Order::items)`
//! only compiles because `User::orders` points to `Order`. A step without a strategy
//! (`defaultload`) keeps the relationship's own default and only leads to deeper steps;
//! a wildcard (`Load::<User>::new().raiseload_all()`, SQLAlchemy's `'*'`) sets the
//! strategy of every relationship at its level that no step names.

use std::marker::PhantomData;

use crate::error::Result;
use crate::orm::column::Column;
use crate::orm::deferred::{ColumnChoices, ColumnOption, Deferred};
use crate::orm::mapper::{Model, ModelInfo};
use crate::orm::relationship::{Loading, RelationField, Relationship, RelationshipInfo};
use crate::sql::FromItem;

/// One step of a path: the relationship (by index in its owner's info) and the strategy
/// an option gives it (`None`: the relationship's default, as `defaultload`).
#[derive(Debug, Clone, PartialEq)]
struct Step {
    index: usize,
    strategy: Option<Loading>,
    innerjoin: bool,
    /// `contains_eager`: the target's columns are already in the query, read from this.
    contains: Option<FromItem>,
}

/// A loader option rooted at model `P`, whose path currently ends at model `T`
/// (SQLAlchemy's `Load(P)` chain). Made by [`selectinload`], [`joinedload`], ... or
/// [`Load::new`]; extended with the same-named methods; passed to
/// [`Query::options`](crate::orm::Query::options).
///
/// ```
/// use aludel::orm::{Load, Loading, Many, Model, selectinload};
/// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] orders: Many<Order> }
/// # #[derive(aludel::Model)] #[model(table = "orders")] struct Order { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64, #[relationship] items: Many<Item> }
/// # #[derive(aludel::Model)] #[model(table = "items")] struct Item { #[column(primary_key)] id: i64, #[column(foreign_key = "orders.id")] order_id: i64 }
/// let opt = selectinload(User::orders).joinedload(Order::items);
/// assert_eq!(opt.describe(), "User.orders (Selectin) -> Order.items (Joined)");
/// let all = Load::<User>::new().raiseload_all();
/// assert_eq!(all.describe(), "User.* (Raise)");
/// ```
pub struct Load<P: Model, T: Model = P> {
    steps: Vec<Step>,
    /// The wildcard strategy at the path's end (`'*'`).
    wildcard: Option<Loading>,
    /// Column options for the path's end model (`.undefer(...)`, `.load_only(...)`, ...).
    columns: Vec<ColumnOption<T>>,
    _types: PhantomData<fn() -> (P, T)>,
}

impl<P: Model, T: Model> Clone for Load<P, T> {
    fn clone(&self) -> Self {
        Load {
            steps: self.steps.clone(),
            wildcard: self.wildcard,
            columns: self.columns.clone(),
            _types: PhantomData,
        }
    }
}

impl<P: Model, T: Model> std::fmt::Debug for Load<P, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Load({})", self.describe())
    }
}

impl<P: Model> Load<P, P> {
    /// An empty path at model `P` (SQLAlchemy's `Load(P)`), to extend with steps or a
    /// wildcard.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert_eq!(aludel::orm::Load::<T>::new().lazyload_all().describe(), "T.* (Select)");
    /// ```
    pub fn new() -> Self {
        Load {
            steps: Vec::new(),
            wildcard: None,
            columns: Vec::new(),
            _types: PhantomData,
        }
    }
}

impl<P: Model> Default for Load<P, P> {
    fn default() -> Self {
        Load::new()
    }
}

/// Defines the path-extending methods of [`Load`], one per strategy.
macro_rules! step_methods {
    ($($(#[$doc:meta])* $name:ident => $strategy:expr;)*) => {
        impl<P: Model, T: Model> Load<P, T> {
            $(
                $(#[$doc])*
                pub fn $name<F: RelationField>(self, rel: Relationship<T, F>) -> Load<P, F::Target> {
                    self.step(rel, $strategy)
                }
            )*
        }
        $(
            $(#[$doc])*
            pub fn $name<P: Model, F: RelationField>(rel: Relationship<P, F>) -> Load<P, F::Target> {
                Load::<P>::new().step(rel, $strategy)
            }
        )*
    };
}

step_methods! {
    /// Loads the relationship right after its parents with `SELECT ... WHERE key IN (...)`
    /// (batches of at most 500 keys): two statements for any number of parents.
    ///
    /// ```
    /// # use aludel::orm::{Many, Model};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// assert_eq!(aludel::orm::selectinload(User::addresses).describe(), "User.addresses (Selectin)");
    /// ```
    selectinload => Some(Loading::Selectin);
    /// Loads the relationship in the parents' own SELECT, through a LEFT OUTER JOIN (INNER
    /// after [`innerjoin`](Load::innerjoin)).
    ///
    /// ```
    /// # use aludel::orm::{Many, Model};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// assert_eq!(aludel::orm::joinedload(User::addresses).describe(), "User.addresses (Joined)");
    /// ```
    joinedload => Some(Loading::Joined);
    /// Loads the relationship right after its parents with one SELECT joined to the
    /// parents' query as a subquery.
    ///
    /// ```
    /// # use aludel::orm::{Many, Model};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// assert_eq!(aludel::orm::subqueryload(User::addresses).describe(), "User.addresses (Subquery)");
    /// ```
    subqueryload => Some(Loading::Subquery);
    /// Loads the relationship on first access (the lazy loader), whatever its default.
    ///
    /// ```
    /// # use aludel::orm::{Many, Model};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// assert_eq!(aludel::orm::lazyload(User::addresses).describe(), "User.addresses (Select)");
    /// ```
    lazyload => Some(Loading::Select);
    /// SQLAlchemy's legacy `baked_lazyload`, which 2.x treats as [`lazyload`]: the
    /// relationship loads on first access.
    ///
    /// ```
    /// # use aludel::orm::{Many, Model};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// assert_eq!(aludel::orm::baked_lazyload(User::addresses).describe(), "User.addresses (Select)");
    /// ```
    baked_lazyload => Some(Loading::Select);
    /// Loads the relationship right after each parent, one SELECT per parent.
    ///
    /// ```
    /// # use aludel::orm::{Many, Model};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// assert_eq!(aludel::orm::immediateload(User::addresses).describe(), "User.addresses (Immediate)");
    /// ```
    immediateload => Some(Loading::Immediate);
    /// Never loads the relationship: it reads as empty (or `None`).
    ///
    /// ```
    /// # use aludel::orm::{Many, Model};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// assert_eq!(aludel::orm::noload(User::addresses).describe(), "User.addresses (Noload)");
    /// ```
    noload => Some(Loading::Noload);
    /// Reading the relationship unloaded is an [`Error::LazyLoadRefused`](crate::Error::LazyLoadRefused).
    ///
    /// ```
    /// # use aludel::orm::{Many, Model};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// assert_eq!(aludel::orm::raiseload(User::addresses).describe(), "User.addresses (Raise)");
    /// ```
    raiseload => Some(Loading::Raise);
    /// Reading the relationship unloaded is an error only when it needs SQL (SQLAlchemy's
    /// `raiseload(..., sql_only=True)`): a many-to-one found in the identity map is served.
    ///
    /// ```
    /// # use aludel::orm::{Model, One};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64, #[relationship] user: One<User> }
    /// assert_eq!(aludel::orm::raiseload_on_sql(Address::user).describe(), "Address.user (RaiseOnSql)");
    /// ```
    raiseload_on_sql => Some(Loading::RaiseOnSql);
    /// Keeps the relationship's default strategy: a step only to reach deeper options
    /// (`defaultload(User::orders).selectinload(Order::items)`).
    ///
    /// ```
    /// # use aludel::orm::{Many, Model};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// assert_eq!(aludel::orm::defaultload(User::addresses).describe(), "User.addresses (default)");
    /// ```
    defaultload => None;
}

/// Reads `rel` from the target's table the query already joins (SQLAlchemy's
/// `contains_eager`); see [`Load::contains_eager`].
///
/// ```
/// # use aludel::orm::{Many, Model};
/// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
/// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
/// assert_eq!(aludel::orm::contains_eager(User::addresses).describe(), "User.addresses (contains_eager)");
/// ```
pub fn contains_eager<P: Model, F: RelationField>(rel: Relationship<P, F>) -> Load<P, F::Target> {
    Load::<P>::new().contains_eager(rel)
}

/// Reads `rel` from `from`, an alias of the target the query joined (SQLAlchemy's
/// `contains_eager(..., alias=)`); see [`Load::contains_eager_from`].
///
/// ```
/// # use aludel::orm::{Many, Model};
/// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
/// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
/// let a = Address::info().table.alias("a");
/// assert_eq!(aludel::orm::contains_eager_from(User::addresses, a).describe(), "User.addresses (contains_eager)");
/// ```
pub fn contains_eager_from<P: Model, F: RelationField>(
    rel: Relationship<P, F>,
    from: impl Into<FromItem>,
) -> Load<P, F::Target> {
    Load::<P>::new().contains_eager_from(rel, from)
}

/// Defines the wildcard methods of [`Load`] (SQLAlchemy's `'*'`).
macro_rules! wildcard_methods {
    ($($(#[$doc:meta])* $name:ident => $strategy:expr;)*) => {
        impl<P: Model, T: Model> Load<P, T> {
            $(
                $(#[$doc])*
                pub fn $name(mut self) -> Self {
                    self.wildcard = Some($strategy);
                    self
                }
            )*
        }
    };
}

wildcard_methods! {
    /// Every relationship of the path's end model that no other option names loads lazily.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert_eq!(aludel::orm::Load::<T>::new().lazyload_all().describe(), "T.* (Select)");
    /// ```
    lazyload_all => Loading::Select;
    /// Every relationship of the path's end model that no other option names raises when
    /// read unloaded.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert_eq!(aludel::orm::Load::<T>::new().raiseload_all().describe(), "T.* (Raise)");
    /// ```
    raiseload_all => Loading::Raise;
    /// Every relationship of the path's end model that no other option names is never
    /// loaded.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert_eq!(aludel::orm::Load::<T>::new().noload_all().describe(), "T.* (Noload)");
    /// ```
    noload_all => Loading::Noload;
    /// Every relationship of the path's end model that no other option names loads with
    /// `SELECT ... IN`.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert_eq!(aludel::orm::Load::<T>::new().selectinload_all().describe(), "T.* (Selectin)");
    /// ```
    selectinload_all => Loading::Selectin;
}

impl<P: Model, T: Model> Load<P, T> {
    fn step<F: RelationField>(
        mut self,
        rel: Relationship<T, F>,
        strategy: Option<Loading>,
    ) -> Load<P, F::Target> {
        self.steps.push(Step {
            index: rel.index(),
            strategy,
            innerjoin: false,
            contains: None,
        });
        Load {
            steps: self.steps,
            wildcard: None,
            columns: Vec::new(),
            _types: PhantomData,
        }
    }

    /// Makes the path's last step an INNER JOIN when it loads joined (SQLAlchemy's
    /// `joinedload(..., innerjoin=True)`): parents without a related row are left out.
    ///
    /// ```
    /// # use aludel::orm::{Model, One};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64 }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64, #[relationship] user: One<User> }
    /// assert_eq!(aludel::orm::joinedload(Address::user).innerjoin().describe(), "Address.user (Joined, inner)");
    /// ```
    pub fn innerjoin(mut self) -> Self {
        if let Some(last) = self.steps.last_mut() {
            last.innerjoin = true;
        }
        self
    }

    /// Reads the relationship from the target's table that the query already joins
    /// (SQLAlchemy's `contains_eager`): no join is added, the target's columns are
    /// appended and the rows the query's own join returns fill the collection.
    ///
    /// ```
    /// # use aludel::orm::{Many, Model};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// let opt = aludel::orm::Load::<User>::new().contains_eager(User::addresses);
    /// assert_eq!(opt.describe(), "User.addresses (contains_eager)");
    /// ```
    pub fn contains_eager<F: RelationField>(self, rel: Relationship<T, F>) -> Load<P, F::Target> {
        let table = FromItem::Table(F::Target::info().table.clone());
        self.contains_eager_from(rel, table)
    }

    /// [`contains_eager`](Load::contains_eager) reading the target's columns from `from`
    /// (an alias the query joined, SQLAlchemy's `contains_eager(..., alias=)`).
    ///
    /// ```
    /// # use aludel::orm::{Many, Model};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] addresses: Many<Address> }
    /// # #[derive(aludel::Model)] #[model(table = "addresses")] struct Address { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64 }
    /// let a = Address::info().table.alias("a");
    /// let opt = aludel::orm::Load::<User>::new().contains_eager_from(User::addresses, a);
    /// assert_eq!(opt.describe(), "User.addresses (contains_eager)");
    /// ```
    pub fn contains_eager_from<F: RelationField>(
        self,
        rel: Relationship<T, F>,
        from: impl Into<FromItem>,
    ) -> Load<P, F::Target> {
        let mut next = self.step(rel, Some(Loading::Joined));
        if let Some(last) = next.steps.last_mut() {
            last.contains = Some(from.into());
        }
        next
    }

    /// Loads a deferred column of the path's end model with the objects the path loads
    /// (SQLAlchemy's `selectinload(A.bs).undefer(B.text)`), whichever way they load
    /// (lazily, immediately, joined, selectin or subquery).
    ///
    /// ```
    /// # use aludel::orm::{Deferred, Many, Model};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] posts: Many<Post> }
    /// # #[derive(aludel::Model)] #[model(table = "posts")] struct Post { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64, body: Deferred<String> }
    /// let opt = aludel::orm::selectinload(User::posts).undefer(Post::body);
    /// assert_eq!(opt.describe(), "User.posts (Selectin) -> undefer(Post.body)");
    /// ```
    pub fn undefer<X>(self, column: Column<T, Deferred<X>>) -> Self {
        self.options(crate::orm::undefer(column))
    }

    /// Leaves a deferred column of the path's end model out again (after an
    /// [`undefer`](Load::undefer) of it).
    ///
    /// ```
    /// # use aludel::orm::{Deferred, Many, Model};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] posts: Many<Post> }
    /// # #[derive(aludel::Model)] #[model(table = "posts")] struct Post { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64, body: Deferred<String> }
    /// let opt = aludel::orm::selectinload(User::posts).undefer(Post::body).defer(Post::body);
    /// assert_eq!(opt.describe(), "User.posts (Selectin) -> undefer(Post.body) -> defer(Post.body)");
    /// ```
    pub fn defer<X>(self, column: Column<T, Deferred<X>>) -> Self {
        self.options(crate::orm::defer(column))
    }

    /// Loads only `column` of the path's end model's deferred columns with the objects the
    /// path loads (SQLAlchemy's `selectinload(A.bs).load_only(B.x)`); name more with
    /// [`options`](Load::options)`(load_only(B::x).and(B::y))`.
    ///
    /// ```
    /// # use aludel::orm::{Deferred, Many, Model};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] posts: Many<Post> }
    /// # #[derive(aludel::Model)] #[model(table = "posts")] struct Post { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64, body: Deferred<String> }
    /// let opt = aludel::orm::selectinload(User::posts).load_only(Post::body);
    /// assert_eq!(opt.describe(), "User.posts (Selectin) -> load_only(Post.body)");
    /// ```
    pub fn load_only<X>(self, column: Column<T, X>) -> Self {
        self.options(crate::orm::load_only(column))
    }

    /// Loads every deferred column of the path's end model's `group` with the objects the
    /// path loads (SQLAlchemy's `selectinload(A.bs).undefer_group("g")`); a group the model
    /// does not declare is an error when the query runs.
    ///
    /// ```
    /// # use aludel::orm::{Deferred, Many, Model};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] posts: Many<Post> }
    /// # #[derive(aludel::Model)] #[model(table = "posts")] struct Post { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64, #[column(group = "text")] body: Deferred<String> }
    /// let opt = aludel::orm::selectinload(User::posts).undefer_group("text");
    /// assert_eq!(opt.describe(), "User.posts (Selectin) -> undefer_group(Post, \"text\")");
    /// ```
    pub fn undefer_group(self, group: &str) -> Self {
        self.options(crate::orm::undefer_group::<T>(group))
    }

    /// Applies a column option to the path's end model (SQLAlchemy's `Load.options`):
    /// `selectinload(A::bs).options(load_only(B::x).and(B::y))`,
    /// `joinedload(A::bs).options(defer(B::text).raiseload())`.
    ///
    /// ```
    /// # use aludel::orm::{Deferred, Many, Model, defer};
    /// # #[derive(aludel::Model)] #[model(table = "users")] struct User { #[column(primary_key)] id: i64, #[relationship] posts: Many<Post> }
    /// # #[derive(aludel::Model)] #[model(table = "posts")] struct Post { #[column(primary_key)] id: i64, #[column(foreign_key = "users.id")] user_id: i64, body: Deferred<String> }
    /// let opt = aludel::orm::joinedload(User::posts).options(defer(Post::body).raiseload());
    /// assert_eq!(opt.describe(), "User.posts (Joined) -> defer(Post.body, raiseload)");
    /// ```
    pub fn options(mut self, option: ColumnOption<T>) -> Self {
        self.columns.push(option);
        self
    }

    /// The path as text: `User.orders (Selectin) -> Order.items (Joined)`.
    ///
    /// ```
    /// # #[derive(aludel::Model)] #[model(table = "t")] struct T { #[column(primary_key)] id: i64 }
    /// assert_eq!(aludel::orm::Load::<T>::new().describe(), "T");
    /// ```
    pub fn describe(&self) -> String {
        let mut model = P::info();
        let mut parts = Vec::new();
        for step in &self.steps {
            let rel: &RelationshipInfo = &model.relationships[step.index];
            let how = match (&step.contains, step.strategy) {
                (Some(_), _) => "contains_eager".to_owned(),
                (None, Some(s)) => format!("{s:?}"),
                (None, None) => "default".to_owned(),
            };
            let inner = if step.innerjoin { ", inner" } else { "" };
            parts.push(format!("{}.{} ({how}{inner})", model.name, rel.name));
            model = (rel.target)();
        }
        if let Some(w) = self.wildcard {
            parts.push(format!("{}.* ({w:?})", model.name));
        }
        parts.extend(self.columns.iter().map(ColumnOption::describe));
        if parts.is_empty() {
            return model.name.to_owned();
        }
        parts.join(" -> ")
    }
}

/// The loader options of a query, erased: per level, the named relationships with their
/// strategy and deeper options, and the wildcard strategy.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct LoaderTree {
    named: Vec<(usize, Branch)>,
    wildcard: Option<Loading>,
    /// The column options for this level's model (the query's entity at the root).
    pub(crate) columns: ColumnChoices,
}

/// What the options say about one relationship.
#[derive(Debug, Clone, Default, PartialEq)]
struct Branch {
    strategy: Option<Loading>,
    innerjoin: bool,
    contains: Option<FromItem>,
    deeper: LoaderTree,
}

/// How one relationship is loaded at one level of a query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Choice {
    pub(crate) strategy: Loading,
    pub(crate) innerjoin: bool,
    /// `contains_eager`: where the query already holds the target's columns.
    pub(crate) contains: Option<FromItem>,
    /// An option chose it (not the relationship's default).
    pub(crate) explicit: bool,
}

static EMPTY: LoaderTree = LoaderTree {
    named: Vec::new(),
    wildcard: None,
    columns: ColumnChoices::new(),
};

impl LoaderTree {
    /// Adds an option's path; a later strategy for the same step wins. Errors: a column
    /// option's (an unknown group).
    pub(crate) fn add<P: Model, T: Model>(&mut self, option: &Load<P, T>) -> Result<()> {
        let mut level = self;
        for step in &option.steps {
            let at = match level.named.iter().position(|(i, _)| *i == step.index) {
                Some(at) => at,
                None => {
                    level.named.push((step.index, Branch::default()));
                    level.named.len() - 1
                }
            };
            let branch = &mut level.named[at].1;
            if step.strategy.is_some() {
                branch.strategy = step.strategy;
            }
            branch.innerjoin |= step.innerjoin;
            if step.strategy.is_some() {
                branch.contains = step.contains.clone();
            }
            level = &mut branch.deeper;
        }
        if option.wildcard.is_some() {
            level.wildcard = option.wildcard;
        }
        for columns in &option.columns {
            level.columns.add(columns.choices()?);
        }
        Ok(())
    }

    /// The options for loading `rel`'s targets by themselves (a lazy or immediate load of
    /// one owner): `below`, the loading query's options under `rel` if any; and a
    /// mirroring many-to-one back to the owner whose default is eager (and that `below`
    /// does not name) loads lazily instead, since the owner is in the identity map
    /// (SQLAlchemy does the same).
    pub(crate) fn for_targets_of(
        rel: &RelationshipInfo,
        owner: &ModelInfo,
        below: Option<&LoaderTree>,
    ) -> Result<LoaderTree> {
        let mut tree = below.cloned().unwrap_or_default();
        let target = (rel.target)();
        let reverse = rel.resolved(owner)?.reverse;
        if let Some(index) = reverse.filter(|&i| tree.branch(i).is_none()) {
            let back = &target.relationships[index];
            let eager = !matches!(
                back.loading,
                Loading::Select | Loading::Noload | Loading::Raise | Loading::RaiseOnSql
            );
            if eager && back.resolved(target)?.targets_primary_key(owner) {
                let branch = Branch {
                    strategy: Some(Loading::Select),
                    ..Branch::default()
                };
                tree.named.push((index, branch));
            }
        }
        Ok(tree)
    }

    /// The strategy for relationship `index` (`rel`) at this level: a named option, else
    /// the wildcard, else the relationship's default.
    pub(crate) fn choice(&self, index: usize, rel: &RelationshipInfo) -> Choice {
        let named = self.branch(index);
        match (named.and_then(|b| b.strategy), self.wildcard) {
            (Some(strategy), _) | (None, Some(strategy)) => Choice {
                strategy,
                innerjoin: named.is_some_and(|b| b.innerjoin),
                contains: named.and_then(|b| b.contains.clone()),
                explicit: true,
            },
            (None, None) => Choice {
                strategy: rel.loading,
                innerjoin: rel.innerjoin || named.is_some_and(|b| b.innerjoin),
                contains: None,
                explicit: false,
            },
        }
    }

    /// Whether no option is set at this level or below.
    pub(crate) fn is_empty(&self) -> bool {
        self.named.is_empty() && self.wildcard.is_none() && self.columns == ColumnChoices::new()
    }

    /// The options below relationship `index` (empty when none).
    pub(crate) fn deeper(&self, index: usize) -> &LoaderTree {
        self.branch(index).map(|b| &b.deeper).unwrap_or(&EMPTY)
    }

    fn branch(&self, index: usize) -> Option<&Branch> {
        self.named.iter().find(|(i, _)| *i == index).map(|(_, b)| b)
    }
}
