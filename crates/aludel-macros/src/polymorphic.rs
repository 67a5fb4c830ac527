//! `#[derive(Polymorphic)]`: an enum with one `Instance<Model>` variant per type of a
//! mapped hierarchy, expanded into `aludel::orm::Polymorphic`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, GenericArgument, Ident, PathArguments, Type};

/// The enum's name and, per variant, its name and model type.
pub(crate) struct PolymorphicDef {
    pub ident: Ident,
    pub variants: Vec<(Ident, Type)>,
}

pub(crate) fn parse(input: &DeriveInput) -> syn::Result<PolymorphicDef> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new(
            input.span(),
            "#[derive(Polymorphic)] works on enums with one Instance<Model> per variant",
        ));
    };
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.generics.span(),
            "#[derive(Polymorphic)] does not support generic enums",
        ));
    }
    let variants = data
        .variants
        .iter()
        .map(|v| match &v.fields {
            Fields::Unnamed(f) if f.unnamed.len() == 1 => {
                Ok((v.ident.clone(), model_of(&f.unnamed[0].ty)?))
            }
            _ => Err(syn::Error::new(
                v.span(),
                "each variant holds one Instance<Model>: `Engineer(Instance<Engineer>)`",
            )),
        })
        .collect::<syn::Result<Vec<_>>>()?;
    if variants.is_empty() {
        return Err(syn::Error::new(
            input.ident.span(),
            "a Polymorphic enum needs a variant per type of the hierarchy",
        ));
    }
    Ok(PolymorphicDef {
        ident: input.ident.clone(),
        variants,
    })
}

/// `T` out of `Instance<T>` (with any path before `Instance`).
fn model_of(ty: &Type) -> syn::Result<Type> {
    if let Type::Path(p) = ty
        && let Some(last) = p.path.segments.last()
        && last.ident == "Instance"
        && let PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(GenericArgument::Type(model)) = args.args.first()
        && args.args.len() == 1
    {
        return Ok(model.clone());
    }
    Err(syn::Error::new(
        ty.span(),
        "expected Instance<Model> (the variant's model)",
    ))
}

pub(crate) fn expand(def: &PolymorphicDef) -> TokenStream {
    let ident = &def.ident;
    let models = def.variants.iter().map(|(_, ty)| ty);
    let arms = def.variants.iter().enumerate().map(
        |(n, (v, ty))| quote!(#n => ::std::result::Result::Ok(#ident::#v(loader.load::<#ty>()?))),
    );
    let name = ident.to_string();
    quote! {
        impl ::aludel::orm::Polymorphic for #ident {
            fn variants() -> ::std::vec::Vec<&'static ::aludel::orm::ModelInfo> {
                ::std::vec![#(<#models as ::aludel::orm::Model>::info()),*]
            }

            fn load(variant: usize, loader: &mut ::aludel::orm::VariantLoader<'_>) -> ::aludel::Result<Self> {
                match variant {
                    #(#arms,)*
                    _ => ::std::result::Result::Err(::aludel::Error::InvalidRequest { message: ::std::format!("{} has no variant #{}", #name, variant) }),
                }
            }
        }

        impl ::aludel::orm::SubtypeSet for #ident {
            fn models() -> ::std::vec::Vec<&'static ::aludel::orm::ModelInfo> {
                <Self as ::aludel::orm::Polymorphic>::variants()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(src: &str) -> syn::Result<PolymorphicDef> {
        parse(&syn::parse_str(src).unwrap())
    }

    #[test]
    fn variants_name_their_models() {
        let d = def("enum AnyE { Base(Instance<E>), Eng(aludel::orm::Instance<Eng>) }").unwrap();
        assert_eq!(d.variants.len(), 2);
        let code = expand(&d).to_string();
        assert!(
            code.contains("impl :: aludel :: orm :: Polymorphic for AnyE"),
            "{code}"
        );
        assert!(code.contains("loader . load :: < Eng > ()"), "{code}");
        assert!(
            code.contains("impl :: aludel :: orm :: SubtypeSet for AnyE"),
            "{code}"
        );
    }

    #[test]
    fn mistakes_are_errors_at_the_variant() {
        let err = |src| def(src).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err("struct S { a: i64 }").contains("works on enums"));
        assert!(err("enum E { A(i64) }").contains("expected Instance<Model>"));
        assert!(err("enum E { A { x: Instance<A> } }").contains("one Instance<Model>"));
        assert!(err("enum E {}").contains("needs a variant"));
    }
}
