//! Writing an error-code enum: `Display`, `std::error::Error`, `code()`,
//! `reason()`, `is_<variant>()`, `from_error()`, `with_message()` and the
//! conversion into `kratos::Error`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::validate::{Enumeration, FieldRef, Shape, Variant};

/// A pattern binding exactly `used` (or nothing) of the variant's fields; it names
/// the enum, not `Self`, so it also works inside `impl From<Enum> for Error`.
fn pattern(name: &syn::Ident, variant: &Variant, used: &[FieldRef]) -> TokenStream {
    let ident = &variant.ident;
    match &variant.shape {
        Shape::Unit => quote!(#name::#ident),
        Shape::Named(_) => {
            let mut names: Vec<_> = used
                .iter()
                .filter_map(|f| match f {
                    FieldRef::Named(i) => Some(i.clone()),
                    FieldRef::Index(_) => None,
                })
                .collect();
            names.dedup_by(|a, b| a == b);
            quote!(#name::#ident { #(#names,)* .. })
        }
        Shape::Unnamed(fields) => {
            let slots = (0..fields.len()).map(|i| {
                if used
                    .iter()
                    .any(|f| matches!(f, FieldRef::Index(j) if *j == i))
                {
                    let binding = format_ident!("_{}", i);
                    quote!(#binding)
                } else {
                    quote!(_)
                }
            });
            quote!(#name::#ident(#(#slots),*))
        }
    }
}

pub(super) fn enumeration(model: &Enumeration) -> TokenStream {
    let mut item = model.item.clone();
    let has_debug = item.attrs.iter().any(|a| {
        a.path().is_ident("derive") && {
            let mut found = false;
            let _ = a.parse_nested_meta(|m| {
                found |= m.path.is_ident("Debug");
                Ok(())
            });
            found
        }
    });
    if !has_debug {
        item.attrs
            .push(syn::parse_quote!(#[derive(::core::fmt::Debug)]));
    }
    let name = &item.ident;
    let error = quote!(::kratos::__private::Error);

    let codes = model.variants.iter().map(|v| {
        let pat = pattern(name, v, &[]);
        let code = v.code;
        quote!(#pat => #code,)
    });
    let reasons = model.variants.iter().map(|v| {
        let pat = pattern(name, v, &[]);
        let reason = &v.reason;
        quote!(#pat => #reason,)
    });
    let display = model.variants.iter().map(|v| match &v.message {
        Some((lit, used)) => {
            let pat = pattern(name, v, used);
            quote!(#pat => f.write_fmt(::core::format_args!(#lit)),)
        }
        None => {
            let pat = pattern(name, v, &[]);
            let reason = &v.reason;
            quote!(#pat => f.write_str(#reason),)
        }
    });
    let metadata: Vec<TokenStream> = model
        .variants
        .iter()
        .filter(|v| !v.metadata.is_empty())
        .map(|v| {
            let pat = pattern(name, v, &v.metadata);
            let entries = v.metadata.iter().map(|f| {
            let binding = f.binding();
            let key = f.key();
            quote!(error = error.with_metadata(#key, ::std::string::ToString::to_string(#binding));)
        });
            quote!(#pat => { #(#entries)* })
        })
        .collect();
    // Without metadata fields the error is built in one expression.
    let from_body = if metadata.is_empty() {
        quote!(#error::new(value.code(), value.reason(), ::std::string::ToString::to_string(&value)))
    } else {
        quote! {
            let mut error = #error::new(value.code(), value.reason(), ::std::string::ToString::to_string(&value));
            #[allow(unreachable_patterns)]
            match &value {
                #(#metadata)*
                _ => {}
            }
            error
        }
    };
    let is_fns = model.variants.iter().map(|v| {
        let is = format_ident!("is_{}", v.snake);
        let (code, reason) = (v.code, &v.reason);
        let doc = format!(
            "True when `error` is `{}`: code {code} and reason `{reason}`.",
            v.ident
        );
        quote! {
            #[doc = #doc]
            pub fn #is(error: &#error) -> bool {
                error.code == #code && error.reason == #reason
            }
        }
    });
    let rebuild = model
        .variants
        .iter()
        .filter(|v| v.shape.all_strings())
        .map(|v| {
            let ident = &v.ident;
            let (code, reason) = (v.code, &v.reason);
            let value = |key: String| quote!(error.metadata.get(#key).cloned().unwrap_or_default());
            let built = match &v.shape {
                Shape::Unit => quote!(Self::#ident),
                Shape::Named(fields) => {
                    let inits = fields.iter().map(|(f, _)| {
                        let v = value(f.to_string().trim_start_matches("r#").to_owned());
                        quote!(#f: #v)
                    });
                    quote!(Self::#ident { #(#inits),* })
                }
                Shape::Unnamed(fields) => {
                    let inits = (0..fields.len()).map(|i| value(i.to_string()));
                    quote!(Self::#ident(#(#inits),*))
                }
            };
            quote!((#code, #reason) => ::core::option::Option::Some(#built),)
        });

    quote! {
        #item

        #[automatically_derived]
        impl #name {
            /// The HTTP-style code of this error.
            pub fn code(&self) -> i32 {
                match self { #(#codes)* }
            }

            /// The reason of this error, e.g. `USER_NOT_FOUND`.
            pub fn reason(&self) -> &'static str {
                match self { #(#reasons)* }
            }

            /// This error with another message (code, reason and metadata kept).
            pub fn with_message(self, message: impl ::core::convert::Into<::std::string::String>) -> #error {
                #error::from(self).with_message(message)
            }

            /// The variant a received error stands for, when code and reason match one
            /// whose fields are all strings (rebuilt from the error's metadata).
            pub fn from_error(error: &#error) -> ::core::option::Option<Self> {
                match (error.code, error.reason.as_str()) {
                    #(#rebuild)*
                    _ => ::core::option::Option::None,
                }
            }

            #(#is_fns)*
        }

        #[automatically_derived]
        impl ::core::fmt::Display for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self { #(#display)* }
            }
        }

        #[automatically_derived]
        impl ::std::error::Error for #name {}

        #[automatically_derived]
        impl ::core::convert::From<#name> for #error {
            fn from(value: #name) -> Self {
                #from_body
            }
        }
    }
}
