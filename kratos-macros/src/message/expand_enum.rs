//! Writing a proto enum (fieldless variants, `{ENUM}_{VARIANT}` names, or `{VARIANT}`
//! when `unprefixed`) and a oneof
//! (one value per variant, alternatives numbered from the field that holds it).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::expand::either;
use super::validate::{Oneof, ProtoEnum};
use crate::case::{lower_camel, screaming_snake, snake};

pub(super) fn proto_enum(e: &ProtoEnum) -> TokenStream {
    let mut item = e.item.clone();
    let name = &item.ident;
    let name_str = name.to_string();
    let p = quote!(::kratos::__private);
    item.attrs.push(syn::parse_quote!(#[derive(
        ::core::clone::Clone,
        ::core::marker::Copy,
        ::core::cmp::PartialEq,
        ::core::cmp::Eq,
        ::core::hash::Hash,
        ::core::fmt::Debug
    )]));
    // Protobuf scopes enum values in their package, hence the enum's name before
    // each by default; `unprefixed` keeps the names of protos written without it.
    let prefix = match e.args.unprefixed {
        Some(_) => String::new(),
        None => format!("{}_", screaming_snake(&name_str)),
    };
    let idents: Vec<_> = e.values.iter().map(|v| &v.0).collect();
    let numbers: Vec<i32> = e.values.iter().map(|v| v.1).collect();
    let proto_names: Vec<String> = idents
        .iter()
        .map(|i| format!("{prefix}{}", screaming_snake(&i.to_string())))
        .collect();
    let rust_names: Vec<String> = idents.iter().map(|i| i.to_string()).collect();
    let value_docs: Vec<&String> = e.values.iter().map(|v| &v.2).collect();
    let first = idents[0];
    let doc = crate::docs::of(&item.attrs);
    let package = match &e.args.package {
        Some(p) => quote!(::core::option::Option::Some(#p)),
        None => quote!(::core::option::Option::None),
    };
    let target = super::check::enum_target(name);
    quote! {
        #item

        #target

        const _: () = {
            #[automatically_derived]
            impl ::core::default::Default for #name {
                fn default() -> Self {
                    #name::#first
                }
            }

            #[automatically_derived]
            impl #p::proto::ProtoEnum for #name {
                fn number(self) -> i32 {
                    match self {
                        #( #name::#idents => #numbers, )*
                    }
                }

                fn from_number(number: i32) -> ::core::option::Option<Self> {
                    match number {
                        #( #numbers => ::core::option::Option::Some(#name::#idents), )*
                        _ => ::core::option::Option::None,
                    }
                }

                fn name(self) -> &'static str {
                    match self {
                        #( #name::#idents => #proto_names, )*
                    }
                }

                fn from_name(name: &str) -> ::core::option::Option<Self> {
                    match name {
                        #( #proto_names | #rust_names => ::core::option::Option::Some(#name::#idents), )*
                        _ => ::core::option::Option::None,
                    }
                }

                fn descriptor() -> &'static #p::descriptor::EnumDescriptor {
                    static DESCRIPTOR: #p::descriptor::EnumDescriptor = #p::descriptor::EnumDescriptor {
                        name: #name_str,
                        package: #package,
                        values: &[#(
                            #p::descriptor::EnumValueDescriptor { name: #proto_names, number: #numbers, doc: #value_docs }
                        ),*],
                        doc: #doc,
                    };
                    &DESCRIPTOR
                }
            }

            #[automatically_derived]
            impl #p::proto::Kinded for #name {
                type Kind = #p::proto::EnumKind;
            }

            #[automatically_derived]
            impl #p::serde::Serialize for #name {
                fn serialize<S: #p::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                    serializer.serialize_str(#p::proto::ProtoEnum::name(*self))
                }
            }

            #[automatically_derived]
            impl #p::FieldValue for #name {
                fn set_text(&mut self, path: &[&str], text: &str) -> ::core::result::Result<(), #p::FieldError> {
                    #p::proto::enums::set_text(self, path, text)
                }
            }

            #[automatically_derived]
            impl<'de> #p::serde::Deserialize<'de> for #name {
                fn deserialize<D: #p::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                    #p::proto::enums::deserialize(deserializer)
                }
            }
        };
    }
}

pub(super) fn oneof(o: &Oneof) -> TokenStream {
    let mut item = o.item.clone();
    let name = &item.ident;
    let p = quote!(::kratos::__private);
    item.attrs.push(syn::parse_quote!(#[derive(
        ::core::clone::Clone,
        ::core::cmp::PartialEq,
        ::core::fmt::Debug
    )]));
    let span = o.variants.len() as u32;
    let idents: Vec<_> = o.variants.iter().map(|v| &v.0).collect();
    let index: Vec<u32> = (0..span).collect();
    let elem: Vec<TokenStream> = o
        .variants
        .iter()
        .map(
            |(_, ty, _)| quote_spanned!(ty.span()=> <#ty as ::kratos::__private::proto::ProtoElem>),
        )
        .collect();
    let tys: Vec<_> = o.variants.iter().map(|v| &v.1).collect();
    let declared: Vec<String> = idents.iter().map(|i| snake(&i.to_string())).collect();
    let camel: Vec<String> = declared.iter().map(|d| lower_camel(d)).collect();
    let patterns: Vec<TokenStream> = declared
        .iter()
        .zip(&camel)
        .map(|(d, j)| either(d, j))
        .collect();
    let docs: Vec<&String> = o.variants.iter().map(|v| &v.2).collect();
    let oneof_name = snake(&name.to_string());
    let target = super::check::oneof_target(name, &idents, &tys, &declared);
    quote! {
        #item

        #target

        const _: () = {
            #[automatically_derived]
            impl #p::proto::Oneof for #name {
                const SPAN: u32 = #span;

                fn descriptor() -> &'static #p::descriptor::OneofDescriptor {
                    static DESCRIPTOR: #p::descriptor::OneofDescriptor = #p::descriptor::OneofDescriptor {
                        name: #oneof_name,
                        variants: &[#(
                            #p::descriptor::FieldDescriptor {
                                name: #declared,
                                json_name: #camel,
                                number: #index,
                                kind: #p::descriptor::FieldKind::Singular(#elem::TYPE),
                                doc: #docs,
                                rules: &[],
                            }
                        ),*],
                    };
                    &DESCRIPTOR
                }

                fn encode(&self, first: u32, buf: &mut impl #p::prost::bytes::BufMut) {
                    match self {
                        #( #name::#idents(value) => #elem::encode_one(first + #index, value, buf), )*
                    }
                }

                fn encoded_len(&self, first: u32) -> usize {
                    match self {
                        #( #name::#idents(value) => #elem::encoded_len_one(first + #index, value), )*
                    }
                }

                fn merge(
                    slot: &mut ::core::option::Option<Self>,
                    index: u32,
                    wire_type: #p::prost::encoding::WireType,
                    buf: &mut impl #p::prost::bytes::Buf,
                    ctx: #p::prost::encoding::DecodeContext,
                ) -> ::core::result::Result<(), #p::prost::DecodeError> {
                    match index {
                        #(
                            #index => {
                                if let ::core::option::Option::Some(#name::#idents(value)) = slot {
                                    return #elem::merge_one(wire_type, value, buf, ctx);
                                }
                                let mut value = <#tys as ::core::default::Default>::default();
                                #elem::merge_one(wire_type, &mut value, buf, ctx)?;
                                *slot = ::core::option::Option::Some(#name::#idents(value));
                                ::core::result::Result::Ok(())
                            }
                        )*
                        _ => #p::prost::encoding::skip_field(wire_type, index, buf, ctx),
                    }
                }

                fn variant(key: &str) -> ::core::option::Option<u32> {
                    match key {
                        #( #patterns => ::core::option::Option::Some(#index), )*
                        _ => ::core::option::Option::None,
                    }
                }

                fn serialize_into<S: #p::serde::ser::SerializeStruct>(&self, out: &mut S, declared: bool) -> ::core::result::Result<(), S::Error> {
                    match self {
                        #(
                            #name::#idents(value) => out.serialize_field(
                                if declared { #declared } else { #camel },
                                &#p::proto::json::Ser(value),
                            ),
                        )*
                    }
                }

                fn deserialize_variant<'de, A: #p::serde::de::MapAccess<'de>>(index: u32, map: &mut A) -> ::core::result::Result<Self, A::Error> {
                    match index {
                        #( #index => ::core::result::Result::Ok(#name::#idents(map.next_value::<#p::proto::json::De<#tys>>()?.0)), )*
                        _ => ::core::result::Result::Err(<A::Error as #p::serde::de::Error>::custom("no such alternative")),
                    }
                }

                fn set_text(
                    slot: &mut ::core::option::Option<Self>,
                    key: &str,
                    rest: &[&str],
                    text: &str,
                ) -> ::core::option::Option<::core::result::Result<(), #p::FieldError>> {
                    match key {
                        #(
                            #patterns => {
                                if !::core::matches!(slot, ::core::option::Option::Some(#name::#idents(_))) {
                                    *slot = ::core::option::Option::Some(#name::#idents(::core::default::Default::default()));
                                }
                                let ::core::option::Option::Some(#name::#idents(value)) = slot else {
                                    return ::core::option::Option::None;
                                };
                                ::core::option::Option::Some(#p::FieldValue::set_text(value, rest, text).map_err(|e| e.within(#declared)))
                            }
                        )*
                        _ => ::core::option::Option::None,
                    }
                }
            }

            #[automatically_derived]
            impl #p::proto::Kinded for #name {
                type Kind = #p::proto::OneofKind;
            }
        };
    }
}
