//! Attribute value helpers shared by the derive and the managers' `model` attribute.

use syn::spanned::Spanned;
use syn::{Expr, LitStr};

/// Names in quotes: one (`"a"`) or a list (`["a", "b"]`).
pub(crate) fn quoted_names(input: syn::parse::ParseStream) -> syn::Result<Vec<LitStr>> {
    if input.peek(LitStr) {
        return Ok(vec![input.parse()?]);
    }
    let list: syn::ExprArray = input.parse()?;
    list.elems
        .iter()
        .map(|e| match e {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Ok(s.clone()),
            other => Err(syn::Error::new(other.span(), "expected a name in quotes")),
        })
        .collect()
}
