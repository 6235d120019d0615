//! Writing the rule check of a message (`Message::check_rules` and its
//! `RuleTarget` impl), of a oneof and of a proto enum: each field with rules
//! hands its value its `static` rule list (kept in the field's descriptor); each other field that may hold a
//! message is probed for one, so nested messages are checked too.

use proc_macro2::TokenStream;
use quote::quote;

use super::expand::names;
use super::validate::Message;

/// A plain scalar: nothing to check without rules.
fn is_plain(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if ["String", "bool", "i32", "i64", "u32", "u64", "f32", "f64"]
        .iter()
        .any(|n| p.path.is_ident(n)))
}

/// The `check_rules` method of `impl Message`.
pub(super) fn message_method(message: &Message) -> TokenStream {
    let r = quote!(::kratos::__private::field_rules);
    let steps: Vec<TokenStream> = message
        .fields
        .iter()
        .enumerate()
        .filter_map(|(index, f)| {
            let (ident, ty) = (&f.ident, &f.ty);
            let declared = names(ident).0;
            match &f.rules {
                // The list lives in the field's descriptor (see `descriptor_rules`), read
                // at compile time, so the check and the `.proto` export share one copy.
                Some(_) => Some(quote! {
                    <#ty as #r::RuleTarget>::check(
                        &self.#ident,
                        const { <Self as ::kratos::__private::Message>::DESCRIPTOR.fields[#index].rules },
                        &path.field(#declared),
                        out,
                    );
                }),
                None if is_plain(ty) => None,
                None => Some(quote! {
                    (&&#r::RulesProbe::<#ty>::new()).kratos_rules(&self.#ident, &path.field(#declared), out);
                }),
            }
        })
        .collect();
    if steps.is_empty() {
        return TokenStream::new();
    }
    quote! {
        #[allow(unused_imports)]
        fn check_rules(&self, path: &#r::Path<'_>, out: &mut #r::Violations) {
            use #r::{ViaNoRules as _, ViaRules as _};
            #(#steps)*
        }
    }
}

/// The `rules` of a field's descriptor: the `static` lists its `#[rule(..)]`
/// attributes became, or none.
pub(super) fn descriptor_rules(rules: Option<&super::rules::FieldRules>) -> TokenStream {
    match rules {
        Some(rules) => {
            let statics = &rules.statics;
            let list = &rules.list;
            quote!({ #(#statics)* &#list })
        }
        None => quote!(&[]),
    }
}

/// The message's `RuleTarget` impl, so a field holding it checks it.
pub(super) fn message_target(name: &syn::Ident) -> TokenStream {
    let p = quote!(::kratos::__private);
    quote! {
        #[automatically_derived]
        impl #p::field_rules::RuleTarget for #name {
            fn check(&self, _: &'static [#p::field_rules::Rule], path: &#p::field_rules::Path<'_>, out: &mut #p::field_rules::Violations) {
                <Self as #p::Message>::check_rules(self, path, out)
            }
        }
    }
}

/// A oneof's `RuleTarget` impl: the set variant's value is checked at its name;
/// an unset `required` oneof is worded as protovalidate words it.
pub(super) fn oneof_target(
    name: &syn::Ident,
    variants: &[&syn::Ident],
    tys: &[&syn::Type],
    declared: &[String],
) -> TokenStream {
    let r = quote!(::kratos::__private::field_rules);
    let arms = variants.iter().zip(tys).zip(declared).map(|((v, ty), declared)| {
        quote!(Self::#v(value) => (&&#r::RulesProbe::<#ty>::new()).kratos_rules(value, &path.up().field(#declared), out),)
    });
    quote! {
        #[automatically_derived]
        impl #r::RuleTarget for #name {
            #[allow(unused_imports)]
            fn check(&self, _: &'static [#r::Rule], path: &#r::Path<'_>, out: &mut #r::Violations) {
                use #r::{ViaNoRules as _, ViaRules as _};
                match self { #(#arms)* }
            }
            fn missing() -> (&'static str, &'static str) {
                ("required", "exactly one field is required in oneof")
            }
        }
    }
}

/// A proto enum's `RuleTarget` impl: no rules of its own, so lists of it take
/// `min_items` and the like.
pub(super) fn enum_target(name: &syn::Ident) -> TokenStream {
    let r = quote!(::kratos::__private::field_rules);
    quote! {
        #[automatically_derived]
        impl #r::RuleTarget for #name {
            fn check(&self, _: &'static [#r::Rule], _: &#r::Path<'_>, _: &mut #r::Violations) {}
        }
    }
}
