//! `#[aludel::ext::managers::model(...)]`: sqlalchemy-unchained's Meta options that add
//! columns. A derive cannot add fields to a struct, so this attribute rewrites the struct
//! before `#[derive(Model)]` sees it: an `id` primary key unless the struct declares one,
//! `created_at` and `updated_at` timestamps set by the database, and a `Debug` that shows
//! the `repr` columns. Each is renamed or removed with an option.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
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
    };
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("pk") {
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
                "unknown Meta option; expected pk, created_at, updated_at, repr or columns(field = YourColumnMetaOption) (table, validation, unique_together, index_together and polymorphic go in #[model(...)])",
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

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let options = parse_options(args)?;
    let mut item: ItemStruct = syn::parse2(item)?;
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
    use syn::parse::Parser;
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
    fn mistakes_are_errors() {
        assert!(expand_str("pkey = \"x\"", "struct A { n: i64 }").contains("unknown Meta option"));
        assert!(expand_str("pk = true", "struct A { n: i64 }").contains("false to remove"));
        assert!(
            expand_str("repr = [\"nope\"]", "struct A { n: i64 }").contains("repr names `nope`")
        );
    }
}
