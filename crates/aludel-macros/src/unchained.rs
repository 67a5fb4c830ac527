//! `#[aludel::ext::managers::model(...)]`: sqlalchemy-unchained's Meta options that add
//! columns. A derive cannot add fields to a struct, so this attribute rewrites the struct
//! before `#[derive(Model)]` sees it: an `id` primary key unless the struct declares one,
//! `created_at` and `updated_at` timestamps set by the database, and a `Debug` that shows
//! the `repr` columns. Each is renamed or removed with an option.
//!
//! `abstract` makes no model: the struct's fields and options become a `macro_rules!` of
//! the same name, which a model that says `extends = Name` calls with its own struct; the
//! macro puts the abstract fields in a `#[__aludel_base { ... }]` helper attribute and the
//! abstract options before the model's own, and this attribute runs again on the result.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Fields, ItemStruct, LitStr};

/// The options, with unchained's defaults.
struct Options {
    pk: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    repr: Option<Vec<String>>,
    /// `columns(name = NameColumn, ...)`: fields contributed by the application's
    /// `ColumnMetaOption`s.
    columns: Vec<(syn::Ident, syn::Path)>,
    /// `abstract`: not a model, a base for models that say `extends = ThisName`.
    is_abstract: bool,
    /// `extends = Base`: the abstract model whose fields and options this one inherits.
    extends: Option<syn::Path>,
}

/// `false`, or a name in quotes.
fn name_or_off(meta: &syn::meta::ParseNestedMeta) -> syn::Result<Option<String>> {
    let value = meta.value()?;
    if value.peek(syn::LitBool) {
        let b: syn::LitBool = value.parse()?;
        if b.value {
            return Err(syn::Error::new(
                b.span(),
                "write a column name in quotes to rename, or false to remove",
            ));
        }
        return Ok(None);
    }
    Ok(Some(value.parse::<LitStr>()?.value()))
}

fn parse_options(args: TokenStream) -> syn::Result<Options> {
    let mut o = Options {
        pk: Some("id".into()),
        created_at: Some("created_at".into()),
        updated_at: Some("updated_at".into()),
        repr: None,
        columns: Vec::new(),
        is_abstract: false,
        extends: None,
    };
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("abstract") {
            o.is_abstract = true;
        } else if meta.path.is_ident("extends") {
            o.extends = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident("pk") {
            o.pk = name_or_off(&meta)?;
        } else if meta.path.is_ident("created_at") {
            o.created_at = name_or_off(&meta)?;
        } else if meta.path.is_ident("updated_at") {
            o.updated_at = name_or_off(&meta)?;
        } else if meta.path.is_ident("columns") {
            meta.parse_nested_meta(|option| {
                let field = option
                    .path
                    .get_ident()
                    .cloned()
                    .ok_or_else(|| option.error("expected a field name"))?;
                o.columns.push((field, option.value()?.parse()?));
                Ok(())
            })?;
        } else if meta.path.is_ident("repr") {
            let names = crate::attr::quoted_names(meta.value()?)?
                .iter()
                .map(LitStr::value)
                .collect();
            o.repr = Some(names);
        } else {
            return Err(meta.error(
                "unknown Meta option; expected abstract, extends, pk, created_at, updated_at, repr or columns(field = YourColumnMetaOption) (table, validation, unique_together, index_together and polymorphic go in #[model(...)])",
            ));
        }
        Ok(())
    });
    syn::parse::Parser::parse2(parser, args)?;
    Ok(o)
}

/// Whether a field is marked `#[column(primary_key, ...)]`.
fn is_primary_key(field: &syn::Field) -> syn::Result<bool> {
    let mut found = false;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("column")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("primary_key") {
                found = true;
            } else if meta.input.peek(syn::Token![=]) {
                meta.value()?.parse::<syn::Expr>()?;
            }
            Ok(())
        })?;
    }
    Ok(found)
}

/// The top-level, comma-separated options of `args`, each as its tokens.
fn split_options(args: TokenStream) -> Vec<TokenStream> {
    let mut options = vec![TokenStream::new()];
    for tree in args {
        match &tree {
            proc_macro2::TokenTree::Punct(p) if p.as_char() == ',' => {
                options.push(TokenStream::new())
            }
            _ => options.last_mut().expect("one").extend([tree]),
        }
    }
    options.retain(|o| !o.is_empty());
    options
}

/// Whether an option's tokens start with `name`.
fn is_option(option: &TokenStream, name: &str) -> bool {
    matches!(option.clone().into_iter().next(), Some(proc_macro2::TokenTree::Ident(i)) if i == name)
}

/// `args` without the `abstract` and `extends` options, comma-separated.
fn inheritable(args: &TokenStream) -> TokenStream {
    let kept = split_options(args.clone())
        .into_iter()
        .filter(|o| !is_option(o, "abstract") && !is_option(o, "extends"));
    quote!(#(#kept),*)
}

/// Takes the fields an abstract base passed in `#[__aludel_base { ... }]` off the item.
fn take_base_fields(item: &mut ItemStruct) -> syn::Result<Vec<syn::Field>> {
    let mut fields = Vec::new();
    let mut kept = Vec::new();
    for attr in std::mem::take(&mut item.attrs) {
        if attr.path().is_ident("__aludel_base") {
            let tokens = attr.meta.require_list()?.tokens.clone();
            let parse = |input: syn::parse::ParseStream| {
                syn::punctuated::Punctuated::<syn::Field, syn::Token![,]>::parse_terminated_with(
                    input,
                    syn::Field::parse_named,
                )
            };
            fields.extend(parse.parse2(tokens)?);
        } else {
            kept.push(attr);
        }
    }
    item.attrs = kept;
    Ok(fields)
}

/// `extends = Base`: hands the struct to the abstract base's macro, which calls this
/// attribute again with the base's fields and options.
fn expand_extends(base: &syn::Path, args: &TokenStream, item: TokenStream) -> TokenStream {
    let own = split_options(args.clone())
        .into_iter()
        .filter(|o| !is_option(o, "extends"));
    quote!(#base! { [#(#own),*] #item })
}

/// An abstract model: no struct and no mapping, only the macro that gives its fields and
/// options to the models that extend it.
fn expand_abstract(args: &TokenStream, item: &ItemStruct) -> syn::Result<TokenStream> {
    let Fields::Named(named) = &item.fields else {
        return Err(syn::Error::new(
            item.span(),
            "an abstract model needs named fields",
        ));
    };
    if let Some(attr) = item.attrs.iter().find(|a| a.path().is_ident("derive")) {
        return Err(syn::Error::new(
            attr.span(),
            "an abstract model is not mapped: remove the derive (models that say `extends = ...` derive Model)",
        ));
    }
    let ident = &item.ident;
    let options = inheritable(args);
    let options = if options.is_empty() {
        options
    } else {
        quote!(#options,)
    };
    let fields = named.named.iter();
    let doc = format!(
        "The abstract model `{ident}`: models that say `#[aludel::ext::managers::model(extends = {ident})]` get its fields and Meta options."
    );
    Ok(quote! {
        #[doc = #doc]
        #[allow(unused_macros)]
        macro_rules! #ident {
            ([$($args:tt)*] $($item:tt)*) => {
                #[::aludel::ext::managers::model(#options $($args)*)]
                #[__aludel_base { #(#fields),* }]
                $($item)*
            };
        }
        #[allow(unused_imports)]
        pub(crate) use #ident;
    })
}

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let options = parse_options(args.clone())?;
    if let Some(base) = &options.extends {
        return Ok(expand_extends(base, &args, item));
    }
    let mut item: ItemStruct = syn::parse2(item)?;
    let base_fields = take_base_fields(&mut item)?;
    if let Fields::Named(named) = &mut item.fields {
        let own: Vec<syn::Field> = named.named.iter().cloned().collect();
        named.named = base_fields.into_iter().chain(own).collect();
    }
    if options.is_abstract {
        return expand_abstract(&args, &item);
    }
    let vis = item.vis.clone();
    let Fields::Named(named) = &mut item.fields else {
        return Err(syn::Error::new(
            item.span(),
            "the model attribute needs named fields",
        ));
    };
    let mut has_pk = false;
    for f in &named.named {
        has_pk |= is_primary_key(f)?;
    }
    let mut fields: Vec<syn::Field> = Vec::new();
    let parse_field = |tokens: TokenStream| syn::Field::parse_named.parse2(tokens);
    if let (Some(pk), false) = (&options.pk, has_pk) {
        let ident = format_ident!("{pk}");
        fields.push(parse_field(quote! {
            #[column(primary_key)]
            #vis #ident: ::std::option::Option<i64>
        })?);
    }
    fields.extend(named.named.iter().cloned());
    for (field, option) in &options.columns {
        fields.push(parse_field(quote! {
            #[column(meta_option = #option)]
            #vis #field: <#option as ::aludel::ext::managers::ColumnMetaOption>::Value
        })?);
    }
    let timestamp =
        quote!(::std::option::Option<::aludel::chrono::DateTime<::aludel::chrono::Utc>>);
    if let Some(name) = &options.created_at {
        let ident = format_ident!("{name}");
        fields.push(parse_field(quote! {
            #[column(server_default = "CURRENT_TIMESTAMP", nullable = false)]
            #vis #ident: #timestamp
        })?);
    }
    if let Some(name) = &options.updated_at {
        let ident = format_ident!("{name}");
        fields.push(parse_field(quote! {
            #[column(server_default = "CURRENT_TIMESTAMP", server_onupdate = "CURRENT_TIMESTAMP", nullable = false)]
            #vis #ident: #timestamp
        })?);
    }
    named.named = fields.into_iter().collect();
    let derives_debug = item.attrs.iter().any(|a| {
        a.path().is_ident("derive")
            && quote::ToTokens::to_token_stream(&a.meta)
                .to_string()
                .contains("Debug")
    });
    let repr = if derives_debug {
        TokenStream::new()
    } else {
        let names: Vec<String> = match &options.repr {
            Some(names) => names.clone(),
            None => [&options.pk, &options.created_at, &options.updated_at]
                .into_iter()
                .flatten()
                .cloned()
                .collect(),
        };
        let known: Vec<String> = named_fields(&item);
        for n in &names {
            if !known.contains(n) {
                return Err(syn::Error::new(
                    item.ident.span(),
                    format!(
                        "repr names `{n}`, which is not a field (fields: {})",
                        known.join(", ")
                    ),
                ));
            }
        }
        let ident = &item.ident;
        let idents = names.iter().map(|n| format_ident!("{n}"));
        quote! {
            /// Shows the `repr` columns: `Name(id=1, created_at=..., updated_at=...)`.
            impl ::std::fmt::Debug for #ident {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    let mut d = f.debug_struct(::std::stringify!(#ident));
                    #(d.field(::std::stringify!(#idents), &self.#idents);)*
                    d.finish()
                }
            }
        }
    };
    Ok(quote! {
        #item
        #repr
    })
}

fn named_fields(item: &ItemStruct) -> Vec<String> {
    item.fields
        .iter()
        .filter_map(|f| f.ident.as_ref().map(|i| i.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(args: &str, item: &str) -> String {
        match expand(args.parse().unwrap(), item.parse().unwrap()) {
            Ok(t) => t.to_string(),
            Err(e) => format!("ERROR: {e}"),
        }
    }

    #[test]
    fn columns_are_added_unless_declared_or_removed() {
        let out = expand_str("", "struct A { name: String }");
        assert!(out.contains("# [column (primary_key)] id"), "{out}");
        assert!(
            out.contains("created_at") && out.contains("server_onupdate"),
            "{out}"
        );
        let out = expand_str(
            "",
            "struct A { #[column(primary_key, max_len = 3)] code: String }",
        );
        assert!(!out.contains(" id :"), "a declared primary key wins: {out}");
        let out = expand_str(
            "pk = false, created_at = false, updated_at = false",
            "#[derive(Debug)] struct A { #[column(primary_key)] x: i64 }",
        );
        assert!(
            !out.contains("created_at") && !out.contains("impl :: std :: fmt :: Debug"),
            "{out}"
        );
    }

    #[test]
    fn abstract_models_become_macros_that_extending_models_call() {
        let out = expand_str(
            "abstract, created_at = false",
            "pub struct Named { #[column(max_len = 9)] pub name: String }",
        );
        assert!(out.contains("macro_rules ! Named"), "{out}");
        assert!(
            out.contains("model (created_at = false , $") && !out.contains("(abstract"),
            "the abstract's options pass down without `abstract`: {out}"
        );
        assert!(
            !out.contains("struct Named"),
            "no struct, no mapping: {out}"
        );
        let out = expand_str(
            "extends = Named, pk = \"key\"",
            "#[derive(aludel::Model)] struct Genre { popular: bool }",
        );
        assert!(
            out.starts_with("Named ! { [pk = \"key\"] # [derive (aludel :: Model)] struct Genre"),
            "{out}"
        );
        let out = expand_str(
            "pk = false",
            "#[__aludel_base { #[column(primary_key)] code: i64 }] struct Genre { popular: bool }",
        );
        assert!(
            out.contains("code : i64 , popular : bool") && !out.contains("__aludel_base"),
            "{out}"
        );
        assert!(
            expand_str("abstract", "#[derive(aludel::Model)] struct A { n: i64 }")
                .contains("an abstract model is not mapped")
        );
    }

    #[test]
    fn mistakes_are_errors() {
        assert!(expand_str("pkey = \"x\"", "struct A { n: i64 }").contains("unknown Meta option"));
        assert!(expand_str("pk = true", "struct A { n: i64 }").contains("false to remove"));
        assert!(
            expand_str("repr = [\"nope\"]", "struct A { n: i64 }").contains("repr names `nope`")
        );
    }
}
