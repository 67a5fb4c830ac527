//! `#[derive(Model)]`: parsing the struct into a [`ModelDef`] and expanding it.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Expr, Fields, Ident, LitStr, Path, Type};

use crate::relationship::{self, RelDef};

/// Everything the derive needs, read from the struct.
pub(crate) struct ModelDef {
    pub ident: Ident,
    pub table: String,
    pub query: Option<QuerySource>,
    pub query_class: Option<Type>,
    /// `validation = false` turns the model's validation off.
    pub validation: Option<bool>,
    /// `unique_together = ["a", "b"]` (repeatable): composite UNIQUE constraints, by field.
    pub unique_together: Vec<Vec<LitStr>>,
    /// `index_together = ["a", "b"]` (repeatable): composite indexes, by field.
    pub index_together: Vec<Vec<LitStr>>,
    /// `version = "field"`: the optimistic-locking version counter, by field.
    pub version: Option<LitStr>,
    /// `version_generator = path::to::fn`: computes the next version from the current one.
    pub version_generator: Option<Path>,
    pub fields: Vec<FieldDef>,
    /// `polymorphic = "single" | "joined"` with `polymorphic_on = "field"` (default
    /// `discriminator`): the base of a mapped hierarchy and its discriminator field.
    pub polymorphic: Option<(LitStr, LitStr)>,
    /// `inherits = Base`: the model this one is a subtype of.
    pub inherits: Option<Path>,
    /// `polymorphic_identity = "..."`: the discriminator value (default: the struct name).
    pub polymorphic_identity: Option<LitStr>,
    /// Whether `table = "..."` was given (a single-table subtype otherwise takes its
    /// base's table).
    pub table_given: bool,
    /// The relationship fields (`Many<T>` / `One<T>`), which are not columns.
    pub relationships: Vec<RelDef>,
}

/// Where `Model::query()` gets its scoped session.
pub(crate) enum QuerySource {
    /// `query = DB`: a `static ScopedSession`.
    Scoped(Path),
    /// `base = Base`: a type implementing `DeclarativeBase`.
    Base(Type),
}

/// One mapped field.
pub(crate) struct FieldDef {
    pub ident: Ident,
    pub ty: Type,
    pub column: String,
    pub primary_key: bool,
    pub autoincrement: Option<bool>,
    pub nullable: Option<bool>,
    pub max_len: Option<u32>,
    pub unique: bool,
    pub index: bool,
    pub default: Option<Expr>,
    pub server_default: Option<String>,
    pub server_onupdate: Option<String>,
    pub foreign_key: Option<(String, String)>,
    pub on_delete: Option<Ident>,
    pub on_update: Option<Ident>,
    /// `use_alter`: the foreign key is added by ALTER TABLE after the tables exist.
    pub use_alter: bool,
    pub sql_type: Option<Expr>,
    /// `validators = [Required::new(), ...]`: values implementing `orm::Validator`.
    pub validators: Vec<Expr>,
    /// `meta_option = NameColumn`: the column is declared and checked by an application's
    /// `ext::managers::ColumnMetaOption`.
    pub meta_option: Option<Path>,
    /// The field is a `Deferred<T>`: left out of the default SELECT.
    pub deferred: bool,
    /// `group = "name"`: the deferred columns that load together.
    pub group: Option<String>,
}

/// `OrderItem` → `order_item`.
pub(crate) fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, ch) in name.chars().enumerate() {
        if ch.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(ch.to_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

pub(crate) fn parse(input: &DeriveInput) -> syn::Result<ModelDef> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            input.span(),
            "#[derive(Model)] works on structs with named fields",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new(
            input.span(),
            "#[derive(Model)] needs named fields",
        ));
    };
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.generics.span(),
            "#[derive(Model)] does not support generic structs",
        ));
    }
    let mut def = ModelDef {
        ident: input.ident.clone(),
        table: snake_case(&input.ident.to_string()),
        query: None,
        query_class: None,
        validation: None,
        unique_together: Vec::new(),
        index_together: Vec::new(),
        version: None,
        version_generator: None,
        fields: Vec::new(),
        polymorphic: None,
        inherits: None,
        polymorphic_identity: None,
        table_given: false,
        relationships: Vec::new(),
    };
    let mut polymorphic: Option<LitStr> = None;
    let mut polymorphic_on: Option<LitStr> = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("model")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("table") {
                def.table = meta.value()?.parse::<LitStr>()?.value();
                def.table_given = true;
            } else if meta.path.is_ident("polymorphic") {
                let lit: LitStr = meta.value()?.parse()?;
                if !matches!(lit.value().as_str(), "single" | "joined") {
                    return Err(syn::Error::new(lit.span(), "polymorphic must be \"single\" or \"joined\""));
                }
                polymorphic = Some(lit);
            } else if meta.path.is_ident("polymorphic_on") {
                polymorphic_on = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("polymorphic_identity") {
                def.polymorphic_identity = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("inherits") {
                def.inherits = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("query") {
                def.query = Some(QuerySource::Scoped(meta.value()?.parse()?));
            } else if meta.path.is_ident("base") {
                def.query = Some(QuerySource::Base(meta.value()?.parse()?));
            } else if meta.path.is_ident("query_class") {
                def.query_class = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("validation") {
                def.validation = Some(meta.value()?.parse::<syn::LitBool>()?.value);
            } else if meta.path.is_ident("unique_together") {
                def.unique_together.push(field_list(meta.value()?)?);
            } else if meta.path.is_ident("index_together") {
                def.index_together.push(field_list(meta.value()?)?);
            } else if meta.path.is_ident("version") {
                def.version = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("version_generator") {
                def.version_generator = Some(meta.value()?.parse()?);
            } else {
                return Err(meta.error(
                    "unknown model option; expected table, query, base, query_class, validation, unique_together, index_together, version, version_generator, polymorphic, polymorphic_on, polymorphic_identity or inherits",
                ));
            }
            Ok(())
        })?;
    }
    if def.query_class.is_some() && !matches!(def.query, Some(QuerySource::Scoped(_))) {
        return Err(syn::Error::new(
            input.ident.span(),
            "query_class needs query = <scoped session> (a base names its own query class)",
        ));
    }
    for field in &named.named {
        if relationship::is_relationship(field) {
            def.relationships.push(relationship::parse(field)?);
        } else {
            def.fields.push(parse_field(field)?);
        }
    }
    def.polymorphic = check_polymorphic(&def, polymorphic, polymorphic_on)?;
    if let (None, Some(g)) = (&def.version, &def.version_generator) {
        return Err(syn::Error::new(
            g.span(),
            "version_generator needs version = \"field\" naming the version counter",
        ));
    }
    if let Some(lit) = &def.version {
        let name = lit.value();
        match def.fields.iter().find(|f| f.ident == name.as_str()) {
            None => {
                let known: Vec<String> = def.fields.iter().map(|f| f.ident.to_string()).collect();
                return Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "no field `{name}` for version (fields: {})",
                        known.join(", ")
                    ),
                ));
            }
            Some(f) if f.primary_key => {
                return Err(syn::Error::new(
                    lit.span(),
                    "the version counter cannot be part of the primary key",
                ));
            }
            Some(_) => {}
        }
    }
    if !def.fields.iter().any(|f| f.primary_key) {
        return Err(syn::Error::new(
            input.ident.span(),
            "a model needs a primary key: mark a field #[column(primary_key)]",
        ));
    }
    Ok(def)
}

/// Checks the inheritance options together: `polymorphic` names the storage, and
/// `polymorphic_on` a field of the model (default `discriminator`), on a base (not with
/// `inherits`); an identity needs one or the other.
fn check_polymorphic(
    def: &ModelDef,
    polymorphic: Option<LitStr>,
    polymorphic_on: Option<LitStr>,
) -> syn::Result<Option<(LitStr, LitStr)>> {
    let pair = match (polymorphic, polymorphic_on) {
        (None, None) => None,
        (Some(kind), Some(on)) => Some((kind, on)),
        // sqlalchemy-unchained's default discriminator column.
        (Some(kind), None) => {
            let on = LitStr::new("discriminator", kind.span());
            Some((kind, on))
        }
        (None, Some(on)) => {
            return Err(syn::Error::new(
                on.span(),
                "polymorphic_on needs polymorphic = \"single\" or \"joined\"",
            ));
        }
    };
    if let (Some((kind, _)), Some(_)) = (&pair, &def.inherits) {
        return Err(syn::Error::new(
            kind.span(),
            "a subtype (inherits = ...) takes polymorphic and polymorphic_on from its base",
        ));
    }
    if let Some((_, on)) = &pair {
        columns_of(def, std::slice::from_ref(on))?;
    }
    if let (Some(id), None, None) = (&def.polymorphic_identity, &pair, &def.inherits) {
        return Err(syn::Error::new(
            id.span(),
            "polymorphic_identity needs polymorphic (on a base) or inherits (on a subtype)",
        ));
    }
    Ok(pair)
}

/// `"cascade"` → `Cascade`, the `ReferentialAction` variant named by an attribute value.
fn referential_action(lit: &LitStr) -> syn::Result<Ident> {
    let variant = match lit.value().to_ascii_lowercase().as_str() {
        "cascade" => "Cascade",
        "set null" | "set_null" => "SetNull",
        "set default" | "set_default" => "SetDefault",
        "restrict" => "Restrict",
        "no action" | "no_action" => "NoAction",
        _ => {
            return Err(syn::Error::new(
                lit.span(),
                "expected cascade, set null, set default, restrict or no action",
            ));
        }
    };
    Ok(Ident::new(variant, lit.span()))
}

fn parse_field(field: &syn::Field) -> syn::Result<FieldDef> {
    let ident = field
        .ident
        .clone()
        .ok_or_else(|| syn::Error::new(field.span(), "unnamed field"))?;
    let mut f = FieldDef {
        column: ident.to_string().trim_start_matches("r#").to_owned(),
        ident,
        ty: field.ty.clone(),
        primary_key: false,
        autoincrement: None,
        nullable: None,
        max_len: None,
        unique: false,
        index: false,
        default: None,
        server_default: None,
        server_onupdate: None,
        foreign_key: None,
        on_delete: None,
        on_update: None,
        use_alter: false,
        sql_type: None,
        validators: Vec::new(),
        meta_option: None,
        deferred: is_deferred(&field.ty),
        group: None,
    };
    let mut fk_col: Option<LitStr> = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("column")) {
        attr.parse_nested_meta(|meta| {
            let p = &meta.path;
            if p.is_ident("primary_key") {
                f.primary_key = true;
            } else if p.is_ident("unique") {
                f.unique = true;
            } else if p.is_ident("index") {
                f.index = true;
            } else if p.is_ident("autoincrement") {
                f.autoincrement = Some(if meta.input.peek(syn::Token![=]) { meta.value()?.parse::<syn::LitBool>()?.value } else { true });
            } else if p.is_ident("nullable") {
                f.nullable = Some(meta.value()?.parse::<syn::LitBool>()?.value);
            } else if p.is_ident("name") {
                f.column = meta.value()?.parse::<LitStr>()?.value();
            } else if p.is_ident("max_len") {
                f.max_len = Some(meta.value()?.parse::<syn::LitInt>()?.base10_parse()?);
            } else if p.is_ident("default") {
                f.default = Some(meta.value()?.parse()?);
            } else if p.is_ident("server_default") {
                f.server_default = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if p.is_ident("server_onupdate") {
                f.server_onupdate = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if p.is_ident("sql_type") {
                f.sql_type = Some(meta.value()?.parse()?);
            } else if p.is_ident("meta_option") {
                f.meta_option = Some(meta.value()?.parse()?);
            } else if p.is_ident("validators") {
                let list: syn::ExprArray = meta.value()?.parse()?;
                f.validators = list.elems.into_iter().collect();
            } else if p.is_ident("use_alter") {
                f.use_alter = true;
            } else if p.is_ident("on_delete") {
                f.on_delete = Some(referential_action(&meta.value()?.parse::<LitStr>()?)?);
            } else if p.is_ident("on_update") {
                f.on_update = Some(referential_action(&meta.value()?.parse::<LitStr>()?)?);
            } else if p.is_ident("foreign_key") {
                let lit = meta.value()?.parse::<LitStr>()?;
                let value = lit.value();
                // "table.column", or sqlalchemy-unchained's short form: a model or table
                // name alone, whose primary key column is `id` (or `fk_col`).
                match value.rsplit_once('.') {
                    Some((t, c)) if !t.is_empty() && !c.is_empty() => f.foreign_key = Some((t.to_owned(), c.to_owned())),
                    None if !value.is_empty() && value.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                        f.foreign_key = Some((snake_case(&value), String::new()));
                    }
                    _ => return Err(syn::Error::new(lit.span(), "foreign_key must be written \"table.column\", or name a model or table (\"Category\")")),
                }
            } else if p.is_ident("group") {
                let lit = meta.value()?.parse::<LitStr>()?;
                if !f.deferred {
                    return Err(syn::Error::new(lit.span(), "group names the load group of a deferred column: the field's type must be Deferred<T>"));
                }
                f.group = Some(lit.value());
            } else if p.is_ident("fk_col") {
                fk_col = Some(meta.value()?.parse::<LitStr>()?);
            } else {
                return Err(meta.error(
                    "unknown column option; expected primary_key, autoincrement, nullable, name, max_len, unique, index, default, server_default, server_onupdate, foreign_key, fk_col, on_delete, on_update, use_alter, sql_type, validators, meta_option or group",
                ));
            }
            Ok(())
        })?;
    }
    match (&mut f.foreign_key, fk_col) {
        // The short form's column: `fk_col`, else the default primary key column.
        (Some((_, column)), fk_col) if column.is_empty() => {
            *column = fk_col.map_or_else(|| "id".to_owned(), |c| c.value());
        }
        (Some(_), Some(fk_col)) => {
            return Err(syn::Error::new(
                fk_col.span(),
                "fk_col goes with the short foreign_key form (\"Category\"); \"table.column\" names the column already",
            ));
        }
        (None, Some(fk_col)) => {
            return Err(syn::Error::new(fk_col.span(), "fk_col needs foreign_key"));
        }
        _ => {}
    }
    if f.deferred && f.primary_key {
        return Err(syn::Error::new(
            f.ident.span(),
            "a primary key column cannot be Deferred: every load needs it",
        ));
    }
    if f.deferred && f.foreign_key.is_some() {
        return Err(syn::Error::new(
            f.ident.span(),
            "a foreign key column cannot be Deferred: relationships and the flush read it from every loaded object",
        ));
    }
    if (f.on_delete.is_some() || f.on_update.is_some() || f.use_alter) && f.foreign_key.is_none() {
        return Err(syn::Error::new(
            f.ident.span(),
            "on_delete, on_update and use_alter need foreign_key = \"table.column\"",
        ));
    }
    Ok(f)
}

/// Whether a field's type is `Deferred<T>` (a deferred column).
fn is_deferred(ty: &Type) -> bool {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Deferred"),
        _ => false,
    }
}

/// `["a", "b"]`: the field names of a composite constraint (at least two).
fn field_list(input: syn::parse::ParseStream) -> syn::Result<Vec<LitStr>> {
    let span = input.span();
    let names = crate::attr::quoted_names(input)?;
    if names.len() < 2 {
        return Err(syn::Error::new(span, "name at least two fields"));
    }
    Ok(names)
}

/// The column names of `fields`, or a compile error at the unknown one.
fn columns_of(def: &ModelDef, fields: &[LitStr]) -> syn::Result<Vec<String>> {
    fields
        .iter()
        .map(|lit| {
            let name = lit.value();
            def.fields
                .iter()
                .find(|f| f.ident == name.as_str())
                .map(|f| f.column.clone())
                .ok_or_else(|| {
                    let known: Vec<String> =
                        def.fields.iter().map(|f| f.ident.to_string()).collect();
                    syn::Error::new(
                        lit.span(),
                        format!("no field `{name}` (fields: {})", known.join(", ")),
                    )
                })
        })
        .collect()
}

pub(crate) fn expand(def: &ModelDef) -> TokenStream {
    match expand_checked(def) {
        Ok(tokens) => tokens,
        Err(e) => e.into_compile_error(),
    }
}

fn expand_checked(def: &ModelDef) -> syn::Result<TokenStream> {
    let ident = &def.ident;
    let name = ident.to_string();
    let table = &def.table;
    let columns = def.fields.iter().map(column_definition);
    let uniques = def
        .unique_together
        .iter()
        .map(|fields| columns_of(def, fields))
        .collect::<syn::Result<Vec<_>>>()?;
    let uniques = uniques
        .iter()
        .map(|cols| quote!(.unique(::std::option::Option::None, &[#(#cols),*])));
    let indexes = def
        .index_together
        .iter()
        .map(|fields| columns_of(def, fields))
        .collect::<syn::Result<Vec<_>>>()?;
    let indexes = indexes.iter().map(|cols| {
        let name = format!("ix_{}_{}", def.table, cols.join("_"));
        quote!(.index(#name, &[#(#cols),*], false))
    });
    let field_names = def.fields.iter().map(|f| f.ident.to_string());
    let validators = def.fields.iter().enumerate().flat_map(|(n, f)| {
        let option = f.meta_option.as_ref().map(|p| {
            quote!((#n, ::std::sync::Arc::new(::aludel::ext::managers::MetaOptionValidator::<#p>::new()) as ::std::sync::Arc<dyn ::aludel::orm::Validator>))
        });
        f.validators
            .iter()
            .map(move |v| {
                quote!((#n, ::std::sync::Arc::new(#v) as ::std::sync::Arc<dyn ::aludel::orm::Validator>))
            })
            .chain(option)
    });
    let validation = def.validation.unwrap_or(true);
    let optional = def.fields.iter().map(|f| {
        let ty = &f.ty;
        quote!(<#ty as ::aludel::orm::SqlTyped>::NULLABLE)
    });
    let count = def.fields.len();
    let values = def.fields.iter().map(|f| {
        let i = &f.ident;
        quote!(::aludel::sql::ToValue::to_value(&self.#i))
    });
    let value_arms = def.fields.iter().enumerate().map(|(n, f)| {
        let i = &f.ident;
        quote!(#n => ::aludel::sql::ToValue::to_value(&self.#i))
    });
    let set_arms = def.fields.iter().enumerate().map(|(n, f)| {
        let i = &f.ident;
        let col = &f.column;
        quote!(#n => self.#i = ::aludel::orm::convert_column(#name, #col, value)?)
    });
    let from_fields = def.fields.iter().map(|f| {
        let i = &f.ident;
        let col = &f.column;
        quote!(#i: ::aludel::orm::convert_column(#name, #col, values.next().unwrap_or(::aludel::sql::Value::Null))?)
    });
    let row_fields = def.fields.iter().enumerate().map(|(n, f)| {
        let i = &f.ident;
        let col = &f.column;
        quote!(#i: ::aludel::orm::convert_column_ref(#name, #col, row.value(offset + #n)?)?)
    });
    // Relationship fields of an object built from the database start unloaded.
    let unloaded: Vec<TokenStream> = def
        .relationships
        .iter()
        .map(|r| {
            let i = &r.ident;
            let ty = &r.ty;
            quote!(#i: <#ty as ::aludel::orm::RelationField>::unloaded())
        })
        .collect();
    let relationships = def
        .relationships
        .iter()
        .map(|r| relationship::info(ident, r));
    let rel_consts = def.relationships.iter().enumerate().map(|(n, r)| {
        let i = &r.ident;
        let ty = &r.ty;
        let doc = format!("The `{i}` relationship, for loader options and joins.");
        quote! {
            #[doc = #doc]
            pub const #i: ::aludel::orm::Relationship<#ident, #ty> = ::aludel::orm::Relationship::new(#n);
        }
    });
    let consts = def.fields.iter().enumerate().map(|(n, f)| {
        let i = &f.ident;
        let ty = &f.ty;
        let col = &f.column;
        let doc = format!("The `{col}` column, for query expressions.");
        quote! {
            #[doc = #doc]
            pub const #i: ::aludel::orm::Column<#ident, #ty> = ::aludel::orm::Column::new(#n, #col);
        }
    });
    // Each application Meta option's hook, once its column is declared.
    let contributions = def.fields.iter().filter_map(|f| {
        let option = f.meta_option.as_ref()?;
        let col = &f.column;
        Some(quote!(<#option as ::aludel::ext::managers::ColumnMetaOption>::contribute_to_class(table, #col)))
    });
    let query = expand_query(def);
    let (with_deferred, from_row_in) = expand_deferred(def, &unloaded);
    let identity = def
        .polymorphic_identity
        .as_ref()
        .map_or_else(|| name.clone(), LitStr::value);
    let inheritance = match (&def.polymorphic, &def.inherits) {
        (Some((kind, on)), _) => {
            let kind = if kind.value() == "joined" {
                quote!(Joined)
            } else {
                quote!(Single)
            };
            let on = &columns_of(def, std::slice::from_ref(on))?[0];
            quote!(.inheritance(::aludel::orm::Inheritance::base(::aludel::orm::InheritanceKind::#kind, #on, #identity)))
        }
        (None, Some(parent)) => {
            quote!(.inheritance(::aludel::orm::Inheritance::child::<#ident>(<#parent as ::aludel::orm::Model>::info, #identity)))
        }
        (None, None) => TokenStream::new(),
    };
    // The declarative base, for a session's bind per base (`Binds::base`).
    let declarative_base = match &def.query {
        Some(QuerySource::Base(base)) => quote!(.declarative_base::<#base>()),
        _ => TokenStream::new(),
    };
    // A single-table subtype maps its base's table unless it names one.
    let table_name = match &def.inherits {
        Some(parent) if !def.table_given => quote!({
            let parent = <#parent as ::aludel::orm::Model>::info();
            match parent.inheritance.as_ref().map(|i| i.kind) {
                ::std::option::Option::Some(::aludel::orm::InheritanceKind::Joined) => #table,
                _ => parent.table.name(),
            }
        }),
        _ => quote!(#table),
    };
    let versioned = def.version.as_ref().map(|lit| {
        let n = def
            .fields
            .iter()
            .position(|f| f.ident == lit.value().as_str())
            .unwrap_or_default();
        let generator = match &def.version_generator {
            Some(path) => quote!(#path),
            None => quote!(::aludel::orm::next_version),
        };
        quote!(.versioned(#n, #generator))
    });
    Ok(quote! {
        impl ::aludel::orm::Model for #ident {
            fn info() -> &'static ::aludel::orm::ModelInfo {
                static INFO: ::std::sync::OnceLock<::aludel::orm::ModelInfo> = ::std::sync::OnceLock::new();
                INFO.get_or_init(|| {
                    let table = ::aludel::sql::Table::build(#table_name)
                        #(.column(#columns))*
                        #(#uniques)*
                        #(#indexes)*;
                    #(let table = #contributions;)*
                    let table = table.finish();
                    ::aludel::orm::ModelInfo::new::<#ident>(#name, table, ::std::vec![#(#field_names),*])
                        .optional_fields(::std::vec![#(#optional),*])
                        .with_validators(::std::vec![#(#validators),*])
                        .validation(#validation)
                        .with_relationships(::std::vec![#(#relationships),*])
                        #versioned
                        #with_deferred
                        #inheritance
                        #declarative_base
                })
            }

            fn values(&self) -> ::std::vec::Vec<::aludel::sql::Value> {
                ::std::vec![#(#values),*]
            }

            fn value(&self, index: usize) -> ::aludel::sql::Value {
                match index {
                    #(#value_arms,)*
                    _ => ::aludel::sql::Value::Null,
                }
            }

            fn set_value(&mut self, index: usize, value: ::aludel::sql::Value) -> ::aludel::Result<()> {
                match index {
                    #(#set_arms,)*
                    _ => return ::std::result::Result::Err(::aludel::orm::no_such_column(#name, index)),
                }
                ::std::result::Result::Ok(())
            }

            fn from_values(values: ::std::vec::Vec<::aludel::sql::Value>) -> ::aludel::Result<Self> {
                if values.len() != #count {
                    return ::std::result::Result::Err(::aludel::orm::wrong_width(#name, #count, values.len()));
                }
                let mut values = values.into_iter();
                ::std::result::Result::Ok(#ident { #(#from_fields,)* #(#unloaded,)* })
            }

            fn from_row(row: &dyn ::aludel::engine::RowView, offset: usize) -> ::aludel::Result<Self> {
                if row.len() < offset + #count {
                    return ::std::result::Result::Err(::aludel::orm::wrong_width(#name, #count, row.len().saturating_sub(offset)));
                }
                ::std::result::Result::Ok(#ident { #(#row_fields,)* #(#unloaded,)* })
            }

            #from_row_in
        }

        #[allow(non_upper_case_globals)]
        impl #ident {
            #(#consts)*
            #(#rel_consts)*
        }

        #query
    })
}

/// For a model with `Deferred` fields: the `.with_deferred(...)` call of its info, and
/// `Model::from_row_in`, which reads a row that may leave them out (their fields start
/// unloaded). Both empty for a model without.
fn expand_deferred(def: &ModelDef, unloaded: &[TokenStream]) -> (TokenStream, TokenStream) {
    if !def.fields.iter().any(|f| f.deferred) {
        return (TokenStream::new(), TokenStream::new());
    }
    let ident = &def.ident;
    let name = ident.to_string();
    let columns = def
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.deferred)
        .map(|(n, f)| {
            let i = &f.ident;
            let group = match &f.group {
                Some(g) => quote!(::std::option::Option::Some(#g)),
                None => quote!(::std::option::Option::None),
            };
            quote!(::aludel::orm::DeferredColumn::new::<#ident, _>(#n, #group, |m| &m.#i))
        });
    let with_deferred = quote!(.with_deferred(::std::vec![#(#columns),*]));
    let fields = def.fields.iter().enumerate().map(|(n, f)| {
        let i = &f.ident;
        let col = &f.column;
        let missing = match f.deferred {
            true => quote!(::aludel::orm::Deferred::unloaded()),
            false => quote!(return ::std::result::Result::Err(::aludel::orm::column_not_in_row(#name, #col))),
        };
        quote! {
            #i: match layout.position(#n) {
                ::std::option::Option::Some(p) => ::aludel::orm::convert_column_ref(#name, #col, row.value(offset + p)?)?,
                ::std::option::Option::None => #missing,
            }
        }
    });
    let from_row_in = quote! {
        fn from_row_in(row: &dyn ::aludel::engine::RowView, offset: usize, layout: &::aludel::orm::ColumnLayout) -> ::aludel::Result<Self> {
            if row.len() < offset + layout.width() {
                return ::std::result::Result::Err(::aludel::orm::wrong_width(#name, layout.width(), row.len().saturating_sub(offset)));
            }
            ::std::result::Result::Ok(#ident { #(#fields,)* #(#unloaded,)* })
        }
    };
    (with_deferred, from_row_in)
}

fn column_definition(f: &FieldDef) -> TokenStream {
    let col = &f.column;
    if let Some(option) = &f.meta_option {
        return quote!(<#option as ::aludel::ext::managers::ColumnMetaOption>::column(#col));
    }
    let ty = &f.ty;
    let sql_type = match (&f.sql_type, f.max_len) {
        (Some(expr), _) => quote!(#expr),
        (None, Some(n)) => {
            quote!(::aludel::sql::SqlType::String { length: ::std::option::Option::Some(#n) })
        }
        (None, None) => quote!(<#ty as ::aludel::orm::SqlTyped>::sql_type()),
    };
    let nullable = match f.nullable {
        Some(n) => quote!(#n),
        None => quote!(<#ty as ::aludel::orm::SqlTyped>::NULLABLE),
    };
    let mut out = quote!(::aludel::sql::Column::new(#col, #sql_type).nullable(#nullable));
    if f.primary_key {
        out = quote!(#out.primary_key());
    }
    if let Some(a) = f.autoincrement {
        out = quote!(#out.autoincrement(#a));
    }
    if f.unique {
        out = quote!(#out.unique());
    }
    if f.index {
        out = quote!(#out.index());
    }
    if let Some(d) = &f.default {
        out = quote!(#out.default(#d));
    }
    if let Some(d) = &f.server_default {
        out = quote!(#out.server_default(#d));
    }
    if let Some(d) = &f.server_onupdate {
        out = quote!(#out.server_onupdate(#d));
    }
    if let Some((t, c)) = &f.foreign_key {
        let mut fk = quote!(::aludel::sql::ForeignKey::to(#t, #c));
        if let Some(action) = &f.on_delete {
            fk = quote!(#fk.on_delete(::aludel::sql::ReferentialAction::#action));
        }
        if let Some(action) = &f.on_update {
            fk = quote!(#fk.on_update(::aludel::sql::ReferentialAction::#action));
        }
        if f.use_alter {
            fk = quote!(#fk.use_alter());
        }
        out = quote!(#out.references(#fk));
    }
    out
}

fn expand_query(def: &ModelDef) -> TokenStream {
    let ident = &def.ident;
    let (query_ty, session) = match &def.query {
        None => return TokenStream::new(),
        Some(QuerySource::Scoped(path)) => {
            let ty = match &def.query_class {
                Some(t) => quote!(#t),
                None => quote!(::aludel::orm::Query<#ident>),
            };
            (ty, quote!(&#path))
        }
        Some(QuerySource::Base(base)) => (
            quote!(<#base as ::aludel::orm::DeclarativeBase>::Query<#ident>),
            quote!(<#base as ::aludel::orm::DeclarativeBase>::scoped_session()),
        ),
    };
    quote! {
        impl ::aludel::orm::QueryProperty for #ident {
            type Query = #query_ty;

            fn scoped_session() -> &'static ::aludel::orm::ScopedSession<impl ::aludel::orm::QueryClasses> {
                #session
            }
        }

        impl #ident {
            /// A query for this model through its scoped session and query class
            /// (SQLAlchemy's `Model.query`).
            pub fn query() -> #query_ty {
                <#ident as ::aludel::orm::QueryProperty>::query()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(src: &str) -> syn::Result<ModelDef> {
        parse(&syn::parse_str(src).unwrap())
    }

    #[test]
    fn table_name_defaults_to_snake_case() {
        assert_eq!(snake_case("OrderItem"), "order_item");
        assert_eq!(
            def("struct OrderItem { #[column(primary_key)] id: i64 }")
                .unwrap()
                .table,
            "order_item"
        );
    }

    #[test]
    fn column_options_are_read() {
        let d = def(r#"#[model(table = "e")] struct E {
            #[column(primary_key, autoincrement = false)] id: i64,
            #[column(name = "ln", max_len = 16, unique, index)] last: String,
            #[column(foreign_key = "d.id", on_delete = "cascade", on_update = "restrict")] dept: Option<i64>,
        }"#)
        .unwrap();
        assert_eq!(d.table, "e");
        assert_eq!(d.fields[0].autoincrement, Some(false));
        assert_eq!(
            (d.fields[1].column.as_str(), d.fields[1].max_len),
            ("ln", Some(16))
        );
        assert_eq!(d.fields[2].foreign_key, Some(("d".into(), "id".into())));
        assert_eq!(
            d.fields[2]
                .on_update
                .as_ref()
                .map(|i| i.to_string())
                .as_deref(),
            Some("Restrict")
        );
    }

    #[test]
    fn mistakes_are_errors_at_the_attribute() {
        let err = |src| def(src).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err("struct A { id: i64 }").contains("needs a primary key"));
        assert!(
            err("struct A { #[column(primary_key, bogus)] id: i64 }")
                .contains("unknown column option")
        );
        assert!(
            err("struct A { #[column(primary_key, foreign_key = \"not a name\")] id: i64 }")
                .contains("table.column")
        );
        assert!(
            err("#[model(tabel = \"x\")] struct A { #[column(primary_key)] id: i64 }")
                .contains("unknown model option")
        );
        assert!(err("struct A(i64);").contains("named fields"));
        assert!(
            err("struct A { #[column(primary_key, on_update = \"cascade\")] id: i64 }")
                .contains("need foreign_key")
        );
        assert!(err("struct A { #[column(primary_key, foreign_key = \"b.id\", on_delete = \"explode\")] id: i64 }").contains("expected cascade"));
    }

    #[test]
    fn deferred_fields_and_groups_are_read_and_checked() {
        let d = def("struct A { #[column(primary_key)] id: i64, #[column(group = \"g\")] body: Deferred<String>, title: String }").unwrap();
        assert!(d.fields[1].deferred && !d.fields[2].deferred);
        assert_eq!(d.fields[1].group.as_deref(), Some("g"));
        let err = |src| def(src).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            err("struct A { #[column(primary_key)] id: i64, #[column(group = \"g\")] t: String }")
                .contains("must be Deferred<T>")
        );
        assert!(
            err("struct A { #[column(primary_key)] id: Deferred<i64> }")
                .contains("cannot be Deferred")
        );
        assert!(
            err("struct A { #[column(primary_key)] id: i64, #[column(foreign_key = \"b.id\")] b_id: Deferred<i64> }")
                .contains("a foreign key column cannot be Deferred")
        );
    }

    #[test]
    fn version_options_are_checked() {
        let err = |src: String| def(&src).err().map(|e| e.to_string()).unwrap_or_default();
        let pk = "#[column(primary_key)] id: i64";
        assert!(
            err(format!(
                "#[model(version = \"rev\")] struct A {{ {pk}, version: i64 }}"
            ))
            .contains("no field `rev` for version (fields: id, version)")
        );
        assert!(
            err(format!("#[model(version = \"id\")] struct A {{ {pk} }}"))
                .contains("cannot be part of the primary key")
        );
        assert!(
            err(format!(
                "#[model(version_generator = f)] struct A {{ {pk} }}"
            ))
            .contains("needs version")
        );
        let d = def(&format!(
            "#[model(version = \"rev\", version_generator = gen::next)] struct A {{ {pk}, rev: i64 }}"
        ))
        .unwrap();
        assert!(
            expand(&d)
                .to_string()
                .contains(". versioned (1usize , gen :: next)")
        );
    }

    #[test]
    fn foreign_key_short_form_names_a_model_or_table() {
        let d = def("struct Post { #[column(primary_key)] id: i64, #[column(foreign_key = \"BlogCategory\")] category_id: i64, #[column(foreign_key = \"categories\", fk_col = \"pk\")] other: i64 }").unwrap();
        assert_eq!(
            d.fields[1].foreign_key,
            Some(("blog_category".into(), "id".into()))
        );
        assert_eq!(
            d.fields[2].foreign_key,
            Some(("categories".into(), "pk".into()))
        );
        let both = def(
            "struct P { #[column(primary_key)] id: i64, #[column(foreign_key = \"c.id\", fk_col = \"pk\")] c: i64 }",
        );
        assert!(
            both.err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("short foreign_key form")
        );
        let alone =
            def("struct P { #[column(primary_key)] id: i64, #[column(fk_col = \"pk\")] c: i64 }");
        assert!(
            alone
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("fk_col needs foreign_key")
        );
    }

    #[test]
    fn fields_together_must_exist_and_be_several() {
        let d = def("#[model(unique_together = [\"a\", \"c\"])] struct T { #[column(primary_key)] id: i64, a: i64, b: i64 }").unwrap();
        let code = expand(&d).to_string();
        assert!(
            code.contains("compile_error") && code.contains("no field `c` (fields: id, a, b)"),
            "{code}"
        );
        let one = def(
            "#[model(index_together = [\"a\"])] struct T { #[column(primary_key)] id: i64, a: i64 }",
        );
        assert!(
            one.err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("at least two")
        );
        let ok = def("#[model(index_together = [\"a\", \"b\"])] struct T { #[column(primary_key)] id: i64, a: i64, #[column(name = \"bee\")] b: i64 }").unwrap();
        assert!(expand(&ok).to_string().contains("ix_t_a_bee"));
    }

    #[test]
    fn inheritance_options_are_checked() {
        let err = |src: &str| def(src).err().map(|e| e.to_string()).unwrap_or_default();
        let pk = "#[column(primary_key)] id: i64";
        assert!(
            err(&format!("#[model(polymorphic = \"concrete\", polymorphic_on = \"kind\")] struct A {{ {pk}, kind: String }}"))
                .contains("\"single\" or \"joined\"")
        );
        assert!(
            err(&format!(
                "#[model(polymorphic = \"single\")] struct A {{ {pk}, kind: String }}"
            ))
            .contains("no field `discriminator`")
        );
        assert!(
            err(&format!(
                "#[model(polymorphic_on = \"kind\")] struct A {{ {pk}, kind: String }}"
            ))
            .contains("polymorphic_on needs polymorphic")
        );
        assert!(
            err(&format!("#[model(inherits = B, polymorphic = \"single\", polymorphic_on = \"kind\")] struct A {{ {pk}, kind: String }}"))
                .contains("takes polymorphic and polymorphic_on from its base")
        );
        assert!(
            err(&format!(
                "#[model(polymorphic_identity = \"a\")] struct A {{ {pk} }}"
            ))
            .contains("needs polymorphic")
        );
        let base = def(&format!(
            "#[model(polymorphic = \"joined\")] struct A {{ {pk}, discriminator: String }}"
        ))
        .unwrap();
        let code = expand(&base).to_string();
        assert!(
            code.contains("InheritanceKind :: Joined , \"discriminator\" , \"A\""),
            "{code}"
        );
        let sub = def(&format!(
            "#[model(inherits = A)] struct B {{ {pk}, discriminator: String }}"
        ))
        .unwrap();
        let code = expand(&sub).to_string();
        assert!(code.contains("Inheritance :: child :: < B >"), "{code}");
        assert!(
            code.contains("parent . table . name ()"),
            "a single-table subtype takes its base's table: {code}"
        );
    }

    #[test]
    fn expansion_implements_model_and_column_constants() {
        let d = def("struct User { #[column(primary_key)] id: i64, name: String }").unwrap();
        let code = expand(&d).to_string();
        assert!(code.contains("impl :: aludel :: orm :: Model for User"));
        assert!(code.contains("pub const name : :: aludel :: orm :: Column < User , String >"));
        assert!(
            !code.contains("QueryProperty"),
            "no query property without query="
        );
        let d = def("#[model(query = DB)] struct User { #[column(primary_key)] id: i64 }").unwrap();
        assert!(
            expand(&d)
                .to_string()
                .contains("impl :: aludel :: orm :: QueryProperty for User")
        );
    }
}
