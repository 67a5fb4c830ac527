//! Relationship fields of `#[derive(Model)]`: a field typed `Many<T>` or `One<T>` (or
//! marked `#[relationship(...)]`) is a relationship, not a column. Parsed into a
//! [`RelDef`] and expanded into a `RelationshipInfo` builder chain.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr, Type};

/// One relationship field.
pub(crate) struct RelDef {
    pub ident: Ident,
    pub ty: Type,
    pub back_populates: Option<String>,
    pub order_by: Vec<String>,
    /// `(save_update, merge, delete, delete_orphan, expunge, refresh_expire)`.
    pub cascade: Option<[bool; 6]>,
    pub lazy: Option<Ident>,
    pub secondary: Option<Expr>,
    pub foreign_keys: Vec<String>,
    pub remote_side: Vec<String>,
    pub viewonly: bool,
    pub innerjoin: bool,
    pub passive_deletes: bool,
    pub post_update: bool,
    pub join_depth: Option<usize>,
    /// `primaryjoin = path`: a function of the target's FROM item giving the criterion
    /// added to the foreign-key join.
    pub primaryjoin: Option<syn::Path>,
}

/// Whether `field` declares a relationship: `#[relationship]`, or a `Many<..>` / `One<..>`
/// type.
pub(crate) fn is_relationship(field: &syn::Field) -> bool {
    if field
        .attrs
        .iter()
        .any(|a| a.path().is_ident("relationship"))
    {
        return true;
    }
    match &field.ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Many" || s.ident == "One"),
        _ => false,
    }
}

/// A string, or a list of strings: `"a"` or `["a", "b"]`.
fn names(input: syn::parse::ParseStream) -> syn::Result<Vec<String>> {
    Ok(crate::attr::quoted_names(input)?
        .iter()
        .map(LitStr::value)
        .collect())
}

/// `"all, delete-orphan"` → the six cascade flags.
fn cascade(lit: &LitStr) -> syn::Result<[bool; 6]> {
    let mut flags = [false; 6];
    for word in lit
        .value()
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        match word {
            "all" => {
                for i in [0, 1, 2, 4, 5] {
                    flags[i] = true;
                }
            }
            "save-update" => flags[0] = true,
            "merge" => flags[1] = true,
            "delete" => flags[2] = true,
            "delete-orphan" => flags[3] = true,
            "expunge" => flags[4] = true,
            "refresh-expire" => flags[5] = true,
            other => {
                return Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "unknown cascade '{other}'; expected all, save-update, merge, delete, delete-orphan, expunge or refresh-expire"
                    ),
                ));
            }
        }
    }
    Ok(flags)
}

/// `lazy = "selectin"` → the `Loading` variant.
fn loading(lit: &LitStr) -> syn::Result<Ident> {
    let variant = match lit.value().as_str() {
        "select" | "true" => "Select",
        "joined" => "Joined",
        "selectin" => "Selectin",
        "subquery" => "Subquery",
        "immediate" => "Immediate",
        "noload" => "Noload",
        "raise" => "Raise",
        "raise_on_sql" => "RaiseOnSql",
        other => {
            return Err(syn::Error::new(
                lit.span(),
                format!(
                    "unknown lazy strategy '{other}'; expected select, joined, selectin, subquery, immediate, noload, raise or raise_on_sql"
                ),
            ));
        }
    };
    Ok(Ident::new(variant, lit.span()))
}

pub(crate) fn parse(field: &syn::Field) -> syn::Result<RelDef> {
    let ident = field
        .ident
        .clone()
        .ok_or_else(|| syn::Error::new(field.span(), "unnamed field"))?;
    if field.attrs.iter().any(|a| a.path().is_ident("column")) {
        return Err(syn::Error::new(
            ident.span(),
            "a relationship field (Many<T> / One<T>) is not a column: use #[relationship(...)], and put #[column(foreign_key = ...)] on the key field",
        ));
    }
    let mut r = RelDef {
        ident,
        ty: field.ty.clone(),
        back_populates: None,
        order_by: Vec::new(),
        cascade: None,
        lazy: None,
        secondary: None,
        foreign_keys: Vec::new(),
        remote_side: Vec::new(),
        viewonly: false,
        innerjoin: false,
        passive_deletes: false,
        post_update: false,
        join_depth: None,
        primaryjoin: None,
    };
    for attr in field
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("relationship"))
    {
        if matches!(attr.meta, syn::Meta::Path(_)) {
            continue;
        }
        attr.parse_nested_meta(|meta| {
            let p = &meta.path;
            if p.is_ident("back_populates") || p.is_ident("backref") {
                r.back_populates = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if p.is_ident("order_by") {
                r.order_by = names(meta.value()?)?;
            } else if p.is_ident("cascade") {
                r.cascade = Some(cascade(&meta.value()?.parse::<LitStr>()?)?);
            } else if p.is_ident("lazy") {
                r.lazy = Some(loading(&meta.value()?.parse::<LitStr>()?)?);
            } else if p.is_ident("secondary") {
                r.secondary = Some(meta.value()?.parse()?);
            } else if p.is_ident("foreign_keys") {
                r.foreign_keys = names(meta.value()?)?;
            } else if p.is_ident("remote_side") {
                r.remote_side = names(meta.value()?)?;
            } else if p.is_ident("viewonly") {
                r.viewonly = true;
            } else if p.is_ident("innerjoin") {
                r.innerjoin = true;
            } else if p.is_ident("passive_deletes") {
                r.passive_deletes = true;
            } else if p.is_ident("post_update") {
                r.post_update = true;
            } else if p.is_ident("join_depth") {
                r.join_depth = Some(meta.value()?.parse::<syn::LitInt>()?.base10_parse()?);
            } else if p.is_ident("primaryjoin") {
                r.primaryjoin = Some(meta.value()?.parse()?);
            } else if p.is_ident("secondaryjoin") {
                return Err(meta.error(
                    "secondaryjoin is not supported: a many-to-many joins through its association table's foreign keys",
                ));
            } else {
                return Err(meta.error(
                    "unknown relationship option; expected back_populates, order_by, cascade, lazy, secondary, foreign_keys, remote_side, viewonly, innerjoin, passive_deletes, post_update, join_depth or primaryjoin",
                ));
            }
            Ok(())
        })?;
    }
    Ok(r)
}

/// The `RelationshipInfo` builder for `r`, a field of `owner`.
pub(crate) fn info(owner: &Ident, r: &RelDef) -> TokenStream {
    let ident = &r.ident;
    let ty = &r.ty;
    let name = ident.to_string();
    let mut out =
        quote!(::aludel::orm::RelationshipInfo::new::<#owner, #ty>(#name, |o: &#owner| &o.#ident));
    if let Some(b) = &r.back_populates {
        out = quote!(#out.back_populates(#b));
    }
    if !r.order_by.is_empty() {
        let o = &r.order_by;
        out = quote!(#out.order_by(&[#(#o),*]));
    }
    if let Some(
        [
            save_update,
            merge,
            delete,
            delete_orphan,
            expunge,
            refresh_expire,
        ],
    ) = r.cascade
    {
        out = quote!(#out.cascade(::aludel::orm::Cascade {
            save_update: #save_update, merge: #merge, delete: #delete,
            delete_orphan: #delete_orphan, expunge: #expunge, refresh_expire: #refresh_expire,
        }));
    }
    if let Some(l) = &r.lazy {
        out = quote!(#out.loading(::aludel::orm::Loading::#l));
    }
    if let Some(s) = &r.secondary {
        out = quote!(#out.secondary((#s).clone()));
    }
    if !r.foreign_keys.is_empty() || !r.remote_side.is_empty() {
        let f = &r.foreign_keys;
        let rs = &r.remote_side;
        out = quote!(#out.columns(&[#(#f),*], &[#(#rs),*]));
    }
    let (v, i, pd, pu) = (r.viewonly, r.innerjoin, r.passive_deletes, r.post_update);
    if v || i || pd || pu {
        out = quote!(#out.flags(#v, #i, #pd, #pu));
    }
    if let Some(d) = r.join_depth {
        out = quote!(#out.join_depth(#d));
    }
    if let Some(f) = &r.primaryjoin {
        out = quote!(#out.primaryjoin(#f));
    }
    out
}
