//! Writing a checked message: its `prost::Message`, serde and text-binding impls,
//! each a list of per-field calls into `kratos_core::proto` chosen by field type,
//! and its descriptor.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::validate::Message;
use crate::case::lower_camel;

/// The declared and JSON names of a field.
pub(super) fn names(ident: &syn::Ident) -> (String, String) {
    let declared = ident.to_string().trim_start_matches("r#").to_owned();
    let json = lower_camel(&declared);
    (declared, json)
}

/// `"a"` or `"a" | "b"` when the two differ.
pub(super) fn either(declared: &str, json: &str) -> TokenStream {
    if declared == json {
        quote!(#declared)
    } else {
        quote!(#declared | #json)
    }
}

/// A type written as a scalar, a string, bytes, a list or a map: no route path
/// continues into it, so it needs no `FieldAt` impl.
fn is_scalar(ty: &syn::Type) -> bool {
    let syn::Type::Path(path) = ty else {
        return false;
    };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    matches!(
        last.ident.to_string().as_str(),
        "String" | "bool" | "i32" | "i64" | "u32" | "u64" | "f32" | "f64" | "Vec" | "HashMap"
    )
}

pub(super) fn message(message: &Message) -> TokenStream {
    let mut item = message.item.clone();
    let name = &item.ident;
    let name_str = name.to_string();
    let p = quote!(::kratos::__private);
    item.attrs.push(syn::parse_quote!(#[derive(
        ::core::clone::Clone,
        ::core::cmp::PartialEq,
        ::core::fmt::Debug,
        ::core::default::Default
    )]));

    let count = message.fields.len();
    let idents: Vec<_> = message.fields.iter().map(|f| &f.ident).collect();
    let index: Vec<usize> = (0..count).collect();
    // Spanned at the field's type so a type without a protobuf mapping is reported there.
    let proto: Vec<TokenStream> = message
        .fields
        .iter()
        .map(|f| {
            let ty = &f.ty;
            quote_spanned!(ty.span()=> <#ty as ::kratos::__private::proto::ProtoField>)
        })
        .collect();
    let values: Vec<TokenStream> = message
        .fields
        .iter()
        .map(|f| {
            let (ty, ident) = (&f.ty, &f.ident);
            quote_spanned!(ty.span()=> &self.#ident)
        })
        .collect();
    let mut_values: Vec<TokenStream> = message
        .fields
        .iter()
        .map(|f| {
            let (ty, ident) = (&f.ty, &f.ident);
            quote_spanned!(ty.span()=> &mut self.#ident)
        })
        .collect();
    // Where a dotted route path can continue: fields that are not plainly scalars.
    let (nested_index, nested_tys): (Vec<usize>, Vec<&syn::Type>) = message
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| !is_scalar(&f.ty))
        .map(|(i, f)| (i, &f.ty))
        .unzip();
    let explicit: Vec<u32> = message.fields.iter().map(|f| f.explicit).collect();
    let all_names: Vec<(String, String)> = idents.iter().map(|i| names(i)).collect();
    let declared: Vec<&String> = all_names.iter().map(|n| &n.0).collect();
    let camel: Vec<&String> = all_names.iter().map(|n| &n.1).collect();
    let docs: Vec<&String> = message.fields.iter().map(|f| &f.doc).collect();
    let rules: Vec<TokenStream> = message
        .fields
        .iter()
        .map(|f| super::check::descriptor_rules(f.rules.as_ref()))
        .collect();
    let doc = crate::docs::of(&item.attrs);
    let declared_flag = message.args.declared_names.then(|| {
        quote!(
            const DECLARED: bool = true;
        )
    });
    let package = match &message.args.package {
        Some(p) => quote!(::core::option::Option::Some(#p)),
        None => quote!(::core::option::Option::None),
    };
    let fields = quote!(#p::proto::fields);
    let each = match values.split_last() {
        Some((last, rest)) => {
            let last_index = rest.len();
            quote!(#(visit.field(#index, #rest)?;)* visit.field(#last_index, #last))
        }
        None => quote!(::core::result::Result::Ok(())),
    };
    let at = match mut_values.split_last() {
        Some((last, rest)) => {
            let rest_index = &index[..rest.len()];
            quote!(match index { #(#rest_index => visit.field(#rest),)* _ => visit.field(#last) })
        }
        None => quote!(unreachable!("{} has no field {index}", #name_str)),
    };

    let check_rules = super::check::message_method(message);
    let rule_target = super::check::message_target(name);
    quote! {
        #item

            #[automatically_derived]
            impl #p::prost::Message for #name {
                fn encode_raw(&self, buf: &mut impl #p::prost::bytes::BufMut) {
                    #fields::encode_raw(self, buf)
                }
                fn merge_field(
                    &mut self,
                    number: u32,
                    wire_type: #p::prost::encoding::WireType,
                    buf: &mut impl #p::prost::bytes::Buf,
                    ctx: #p::prost::encoding::DecodeContext,
                ) -> ::core::result::Result<(), #p::prost::DecodeError> {
                    #fields::merge_field(self, number, wire_type, buf, ctx)
                }
                fn encoded_len(&self) -> usize {
                    #fields::encoded_len(self)
                }
                fn clear(&mut self) {
                    *self = ::core::default::Default::default();
                }
            }

            #[automatically_derived]
            impl #p::serde::Serialize for #name {
                fn serialize<S: #p::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                    #fields::serialize(self, serializer)
                }
            }

            #[automatically_derived]
            impl<'de> #p::serde::Deserialize<'de> for #name {
                fn deserialize<D: #p::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                    #fields::deserialize(deserializer)
                }
            }

            #[automatically_derived]
            impl #p::FieldValue for #name {
                fn set_text(&mut self, path: &[&str], text: &str) -> ::core::result::Result<(), #p::FieldError> {
                    #fields::set_text(self, path, text)
                }
            }

            #[automatically_derived]
            impl #p::Message for #name {
                const DESCRIPTOR: &'static #p::MessageDescriptor = &#p::MessageDescriptor {
                    name: #name_str,
                    package: #package,
                    fields: &#p::proto::numbered([#(#p::descriptor::FieldDescriptor {
                        name: #declared,
                        json_name: #camel,
                        number: #explicit,
                        kind: #proto::KIND,
                        doc: #docs,
                        rules: #rules,
                    }),*], [#(#proto::SPAN),*]),
                    doc: #doc,
                };
                #check_rules
            }

            #rule_target

            #[automatically_derived]
            impl #fields::Fields for #name {
                #declared_flag
                const KEYS: &'static [&'static str] = &[#(#camel),*];
                fn each<V: #fields::Visit>(&self, visit: &mut V) -> ::core::result::Result<(), V::Error> {
                    #each
                }
                fn at<V: #fields::VisitMut>(&mut self, index: usize, visit: V) -> V::Output {
                    #at
                }
            }

            #[automatically_derived]
            impl #p::proto::Kinded for #name {
                type Kind = #p::proto::MessageKind;
            }

            #(
                #[automatically_derived]
                impl #p::proto::route_check::FieldAt<#nested_index> for #name {
                    type Target = <#nested_tys as #p::FieldTarget>::Target;
                }
            )*
    }
}
