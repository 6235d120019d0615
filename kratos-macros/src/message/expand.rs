//! Writing a checked message: prost and serde derives routed through
//! `::kratos::__private`, protobuf JSON names, and the field setters HTTP binding uses.

use proc_macro2::TokenStream;
use quote::quote;

use super::validate::{FieldModel, Kind, Message};
use crate::case::lower_camel;

fn prost_attr(field: &FieldModel) -> TokenStream {
    let tag = field.tag.to_string();
    let kind = match field.kind {
        Kind::Scalar(s) => {
            let s = syn::Ident::new(s, proc_macro2::Span::call_site());
            quote!(#s)
        }
        Kind::Bytes => quote!(bytes = "vec"),
        Kind::RepeatedScalar(s) => {
            let s = syn::Ident::new(s, proc_macro2::Span::call_site());
            quote!(#s, repeated)
        }
        Kind::RepeatedMessage => quote!(message, repeated),
        Kind::OptionalScalar(s) => {
            let s = syn::Ident::new(s, proc_macro2::Span::call_site());
            quote!(#s, optional)
        }
        Kind::Message => quote!(message, optional),
        Kind::Map(k, v) => {
            let spec = format!("{k}, {v}");
            quote!(map = #spec)
        }
    };
    quote!(#[prost(#kind, tag = #tag)])
}

pub(super) fn message(message: &Message) -> TokenStream {
    let mut item = message.item.clone();
    let name = &item.ident;
    for (field, model) in item.fields.iter_mut().zip(&message.fields) {
        let declared = model.ident.to_string();
        let declared = declared.trim_start_matches("r#");
        let json = lower_camel(declared);
        let prost = prost_attr(model);
        field.attrs.push(syn::parse_quote!(#prost));
        if json != declared {
            field
                .attrs
                .push(syn::parse_quote!(#[serde(rename = #json, alias = #declared)]));
        }
    }
    item.attrs.push(syn::parse_quote!(#[derive(
        ::core::clone::Clone,
        ::core::cmp::PartialEq,
        ::kratos::__private::prost::Message,
        ::kratos::__private::serde::Serialize,
        ::kratos::__private::serde::Deserialize
    )]));
    item.attrs
        .push(syn::parse_quote!(#[prost(prost_path = "::kratos::__private::prost")]));
    item.attrs
        .push(syn::parse_quote!(#[serde(crate = "::kratos::__private::serde", default)]));

    let arms = message.fields.iter().map(|f| {
        let ident = &f.ident;
        let declared = ident.to_string();
        let declared = declared.trim_start_matches("r#").to_owned();
        let json = lower_camel(&declared);
        let names = if json == declared {
            quote!(#declared)
        } else {
            quote!(#declared | #json)
        };
        quote! {
            #names => ::kratos::__private::FieldValue::set_text(&mut self.#ident, rest, text)
                .map_err(|e| e.within(#declared)),
        }
    });
    let has_field = message.fields.iter().flat_map(|f| {
        let declared = f.ident.to_string().trim_start_matches("r#").to_owned();
        let json = lower_camel(&declared);
        let ty = &f.ty;
        let mut names = vec![declared.clone()];
        if json != declared {
            names.push(json);
        }
        names.into_iter().map(move |n| {
            quote! {
                impl ::kratos::__private::HasField<{ ::kratos::__private::field_hash(#n) }> for #name {
                    type Type = <#ty as ::kratos::__private::FieldTarget>::Target;
                }
            }
        })
    });
    quote! {
        #item

        impl ::kratos::__private::Message for #name {
            fn descriptor() -> &'static ::kratos::__private::MessageDescriptor {
                &::kratos::__private::MessageDescriptor {
                    name: ::core::stringify!(#name),
                    package: ::core::option::Option::None,
                    fields: &[],
                    doc: "",
                }
            }
        }

        impl ::kratos::__private::FieldTarget for #name {
            type Target = #name;
        }

        impl ::kratos::__private::FieldValue for #name {
            fn set_text(&mut self, path: &[&str], text: &str) -> ::core::result::Result<(), ::kratos::__private::FieldError> {
                let ::core::option::Option::Some((first, rest)) = path.split_first() else {
                    return ::core::result::Result::Err(::kratos::__private::FieldError::Invalid {
                        field: ::std::string::String::new(),
                        reason: ::std::string::String::from("a message is set field by field: name a field, like `a.b`"),
                    });
                };
                match *first {
                    #(#arms)*
                    _ => ::core::result::Result::Err(::kratos::__private::FieldError::Unknown(path.join("."))),
                }
            }
        }

        #(#has_field)*
    }
}
