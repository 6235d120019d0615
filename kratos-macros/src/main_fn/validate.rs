//! Checking the shape of the annotated `main`.

use syn::{FnArg, ItemFn, ReturnType};

use crate::errors::Errors;

/// The two accepted forms.
pub(super) enum Form {
    /// `async fn main(app: AppBuilder) -> kratos::Result<App>`: the user builds the app.
    Builder,
    /// `async fn main()`: the body runs first, then every registered service is served.
    Plain,
}

/// A checked `main`.
pub(super) struct Main {
    pub(super) item: ItemFn,
    pub(super) form: Form,
}

pub(super) fn main(item: ItemFn) -> syn::Result<Main> {
    let mut errors = Errors::default();
    let sig = &item.sig;
    if sig.asyncness.is_none() {
        errors.at(
            {
                let (f, i) = (&sig.fn_token, &sig.ident);
                quote::quote!(#f #i)
            },
            "`#[kratos::main]` goes on an async function: write `async fn main(...)`",
        );
    }
    if !sig.generics.params.is_empty() {
        errors.at(&sig.generics, "`main` cannot be generic");
    }
    let form = match sig.inputs.len() {
        0 => {
            if let ReturnType::Type(_, ty) = &sig.output {
                errors.at(
                    ty,
                    "`async fn main()` returns nothing; to build the app yourself write `async fn main(app: AppBuilder) -> kratos::Result<App>`",
                );
            }
            Form::Plain
        }
        1 => {
            if let Some(FnArg::Receiver(r)) = sig.inputs.first() {
                errors.at(r, "`main` takes the builder: `app: AppBuilder`");
            }
            if let ReturnType::Default = sig.output {
                errors.push(syn::Error::new(
                    sig.paren_token.span.close(),
                    "`main(app: AppBuilder)` returns the app: add `-> kratos::Result<App>` and end with `Ok(app.build())`",
                ));
            }
            Form::Builder
        }
        _ => {
            errors.at(
                &sig.inputs,
                "`main` takes one parameter, `app: AppBuilder`, or none",
            );
            Form::Plain
        }
    };
    errors.finish(Main { item, form })
}
