//! Writing a checked message: its `prost::Message`, serde and text-binding impls,
//! each a list of per-field calls into `kratos_core::proto` chosen by field type,
//! and its descriptor.

use proc_macro2::{Span, TokenStream};
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
    let index_u32: Vec<u32> = (0..count as u32).collect();
    // Spanned at the field's type so a type without a protobuf mapping is reported there.
    let proto: Vec<TokenStream> = message
        .fields
        .iter()
        .map(|f| {
            let ty = &f.ty;
            quote_spanned!(ty.span()=> <#ty as ::kratos::__private::proto::ProtoField>)
        })
        .collect();
    let json: Vec<TokenStream> = message
        .fields
        .iter()
        .map(|f| {
            let ty = &f.ty;
            quote_spanned!(ty.span()=> <#ty as ::kratos::__private::proto::json::JsonField>)
        })
        .collect();
    let tys: Vec<_> = message.fields.iter().map(|f| &f.ty).collect();
    let explicit: Vec<u32> = message.fields.iter().map(|f| f.explicit).collect();
    let all_names: Vec<(String, String)> = idents.iter().map(|i| names(i)).collect();
    let declared: Vec<&String> = all_names.iter().map(|n| &n.0).collect();
    let camel: Vec<&String> = all_names.iter().map(|n| &n.1).collect();
    let patterns: Vec<TokenStream> = all_names.iter().map(|(d, j)| either(d, j)).collect();
    let docs: Vec<&String> = message.fields.iter().map(|f| &f.doc).collect();
    let doc = crate::docs::of(&item.attrs);
    let declared_flag = message.args.declared_names;
    let package = match &message.args.package {
        Some(p) => quote!(::core::option::Option::Some(#p)),
        None => quote!(::core::option::Option::None),
    };
    let numbers = quote_spanned!(Span::call_site()=> NUMBERS);

    let p_ref = &p;
    let has_field = message.fields.iter().flat_map(|f| {
        let p = p_ref;
        let (declared, json) = names(&f.ident);
        let ty = &f.ty;
        let mut names = vec![declared.clone()];
        if json != declared {
            names.push(json);
        }
        names.into_iter().map(move |n| {
            quote! {
                #[automatically_derived]
                impl #p::HasField<{ #p::field_hash(#n) }> for #name {
                    type Type = <#ty as #p::FieldTarget>::Target;
                }
            }
        })
    });

    quote! {
        #item

        const _: () = {
            #[allow(dead_code)]
            const #numbers: [u32; #count] = #p::proto::numbers([#((#explicit, #proto::SPAN)),*]);

            #[automatically_derived]
            impl #p::prost::Message for #name {
                fn encode_raw(&self, buf: &mut impl #p::prost::bytes::BufMut) {
                    #( #proto::encode(&self.#idents, #numbers[#index], buf); )*
                }

                fn merge_field(
                    &mut self,
                    number: u32,
                    wire_type: #p::prost::encoding::WireType,
                    buf: &mut impl #p::prost::bytes::Buf,
                    ctx: #p::prost::encoding::DecodeContext,
                ) -> ::core::result::Result<(), #p::prost::DecodeError> {
                    #(
                        if #proto::owns(#numbers[#index], number) {
                            return #proto::merge(&mut self.#idents, #numbers[#index], number, wire_type, buf, ctx)
                                .map_err(|mut e| { e.push(#name_str, #declared); e });
                        }
                    )*
                    #p::prost::encoding::skip_field(wire_type, number, buf, ctx)
                }

                fn encoded_len(&self) -> usize {
                    0 #( + #proto::encoded_len(&self.#idents, #numbers[#index]) )*
                }

                fn clear(&mut self) {
                    *self = ::core::default::Default::default();
                }
            }

            #[automatically_derived]
            impl #p::serde::Serialize for #name {
                fn serialize<S: #p::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                    use #p::serde::ser::SerializeStruct as _;
                    #[allow(unused_variables)]
                    let declared = #p::proto::json::declared_names(#declared_flag);
                    let mut out = serializer.serialize_struct(#name_str, #count)?;
                    #( #json::serialize_entry(&self.#idents, &mut out, if declared { #declared } else { #camel }, declared)?; )*
                    out.end()
                }
            }

            #[automatically_derived]
            impl<'de> #p::serde::Deserialize<'de> for #name {
                fn deserialize<D: #p::serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                    fn field(key: &str) -> #p::proto::json::FieldKey {
                        match key {
                            #( #patterns => return #p::proto::json::FieldKey::Field(#index_u32), )*
                            _ => {}
                        }
                        #(
                            if let ::core::option::Option::Some(v) = #json::variant(key) {
                                return #p::proto::json::FieldKey::Variant(#index_u32, v);
                            }
                        )*
                        #p::proto::json::FieldKey::Unknown
                    }

                    struct Fields;

                    #[automatically_derived]
                    impl<'de> #p::serde::de::Visitor<'de> for Fields {
                        type Value = #name;

                        fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                            ::core::fmt::Display::fmt(&#p::proto::json::expecting(#name_str), f)
                        }

                        fn visit_map<A: #p::serde::de::MapAccess<'de>>(self, mut map: A) -> ::core::result::Result<#name, A::Error> {
                            let mut out = <#name as ::core::default::Default>::default();
                            // A field named twice, or a second alternative of a oneof, is an
                            // error as in protojson, not a silent overwrite.
                            #[allow(unused_mut, unused_variables)]
                            let mut seen = [false; #count];
                            while let ::core::option::Option::Some(key) = map.next_key_seed(#p::proto::json::Key(field))? {
                                match key {
                                    #(
                                        #p::proto::json::FieldKey::Field(#index_u32) => {
                                            if ::core::mem::replace(&mut seen[#index], true) {
                                                return ::core::result::Result::Err(#p::proto::json::duplicate_field(#declared));
                                            }
                                            out.#idents = map.next_value::<#p::proto::json::De<#tys>>()?.0;
                                        }
                                        #p::proto::json::FieldKey::Variant(#index_u32, v) => {
                                            if ::core::mem::replace(&mut seen[#index], true) {
                                                return ::core::result::Result::Err(#p::proto::json::oneof_already_set(#declared));
                                            }
                                            #json::merge_variant(&mut out.#idents, v, &mut map)?;
                                        }
                                    )*
                                    _ => {
                                        map.next_value::<#p::serde::de::IgnoredAny>()?;
                                    }
                                }
                            }
                            ::core::result::Result::Ok(out)
                        }
                    }

                    // Held while this message and everything inside it decode.
                    let _level = #p::proto::json::enter_message::<D::Error>()?;
                    deserializer.deserialize_struct(#name_str, &[#(#camel),*], Fields)
                }
            }

            #[automatically_derived]
            impl #p::FieldValue for #name {
                fn set_text(&mut self, path: &[&str], text: &str) -> ::core::result::Result<(), #p::FieldError> {
                    let ::core::option::Option::Some((first, rest)) = path.split_first() else {
                        return ::core::result::Result::Err(#p::FieldError::Invalid {
                            field: ::std::string::String::new(),
                            reason: ::std::string::String::from("a message is set field by field: name a field, like `a.b`"),
                        });
                    };
                    match *first {
                        #(
                            #patterns => #p::FieldValue::set_text(&mut self.#idents, rest, text)
                                .map_err(|e| e.within(#declared)),
                        )*
                        key => {
                            #(
                                if let ::core::option::Option::Some(result) = #p::FieldValue::set_variant(&mut self.#idents, key, rest, text) {
                                    return result;
                                }
                            )*
                            ::core::result::Result::Err(#p::FieldError::Unknown(path.join(".")))
                        }
                    }
                }
            }

            #[automatically_derived]
            impl #p::Message for #name {
                fn descriptor() -> &'static #p::MessageDescriptor {
                    static DESCRIPTOR: #p::MessageDescriptor = #p::MessageDescriptor {
                        name: #name_str,
                        package: #package,
                        fields: &[#(
                            #p::descriptor::FieldDescriptor {
                                name: #declared,
                                json_name: #camel,
                                number: #numbers[#index],
                                kind: #proto::KIND,
                                doc: #docs,
                            }
                        ),*],
                        doc: #doc,
                    };
                    &DESCRIPTOR
                }
            }

            #[automatically_derived]
            impl #p::proto::Kinded for #name {
                type Kind = #p::proto::MessageKind;
            }
        };

        #(#has_field)*
    }
}
