//! Procedural macros for aludel: `#[derive(Model)]` and `#[derive(Polymorphic)]`.
//!
//! The derive is written as parse → expand: `model::parse` reads the struct and its
//! attributes into a `model::ModelDef` (reporting mistakes at the offending field), and
//! `model::expand` turns that into the `Model` impl, the typed column constants and the
//! query property. See the `aludel` crate for documentation and examples.

mod attr;
mod model;
mod polymorphic;
mod relationship;
mod unchained;

use proc_macro::TokenStream;

/// Maps a struct with named fields to a table. See `aludel::orm::Model`.
#[proc_macro_derive(Model, attributes(model, column, relationship))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    match model::parse(&input) {
        Ok(def) => model::expand(&def).into(),
        Err(err) => err.into_compile_error().into(),
    }
}

/// An enum over the types of a mapped hierarchy, one `Instance<Model>` per variant. See
/// `aludel::orm::Polymorphic`.
#[proc_macro_derive(Polymorphic)]
pub fn derive_polymorphic(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    match polymorphic::parse(&input) {
        Ok(def) => polymorphic::expand(&def).into(),
        Err(err) => err.into_compile_error().into(),
    }
}

/// sqlalchemy-unchained's Meta options that add columns: an `id` primary key (unless the
/// struct declares one), `created_at` / `updated_at` timestamps the database sets, and a
/// `Debug` showing the `repr` columns. Re-exported and documented as
/// `aludel::ext::managers::model`.
#[proc_macro_attribute]
pub fn unchained_model(args: TokenStream, item: TokenStream) -> TokenStream {
    match unchained::expand(args.into(), item.into()) {
        Ok(tokens) => tokens.into(),
        Err(err) => err.into_compile_error().into(),
    }
}
