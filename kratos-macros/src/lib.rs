//! The attribute macros of kratos.
//!
//! Each macro is a module split the same way: `parse` turns tokens into a model
//! and reports syntax it cannot read, `validate` checks the model and reports
//! every misuse at once with the tokens to blame, `expand` writes code from a
//! valid model and never fails. Generated code names only `::kratos::__private`.

mod case;
mod docs;
mod error_code;
mod errors;
mod fallback;
mod main_fn;
mod message;
mod middleware;
mod service;

use proc_macro::TokenStream;

/// Serves a trait over HTTP and gRPC, or registers an implementation of one.
///
/// On a trait: `#[kratos::service(package = "helloworld.v1")]`, with `#[route(get = "/path/{field}")]`
/// on methods that have an HTTP binding. On `impl Trait for Type`: registers `Type`
/// (built with `Default`, or from a config key with `config = "key"`) for `#[kratos::main]`.
#[proc_macro_attribute]
pub fn service(args: TokenStream, input: TokenStream) -> TokenStream {
    service::entry(args.into(), input.into()).into()
}

/// Makes a struct a protobuf message and a serde type, with tags in declaration order.
#[proc_macro_attribute]
pub fn message(args: TokenStream, input: TokenStream) -> TokenStream {
    message::entry(args.into(), input.into()).into()
}

/// Makes an enum a set of kratos error codes: `#[code(404)]` per variant, reason
/// `USER_NOT_FOUND` from the variant name, message from `#[error("...")]`.
#[proc_macro_attribute]
pub fn error_code(args: TokenStream, input: TokenStream) -> TokenStream {
    error_code::entry(args.into(), input.into()).into()
}

/// Turns `async fn name(ctx: &mut Context, req: Request, next: Next<'_>) -> Result<Reply, Error>`
/// into a middleware value `name`; on `impl Middleware for Type`, lets `handle` be an
/// `async fn`. `#[kratos::middleware(global)]` installs it on every server of `#[kratos::main]`.
#[proc_macro_attribute]
pub fn middleware(args: TokenStream, input: TokenStream) -> TokenStream {
    middleware::entry(args.into(), input.into()).into()
}

/// Turns `async fn main(app: AppBuilder) -> kratos::Result<App>` into the program's entry point.
#[proc_macro_attribute]
pub fn main(args: TokenStream, input: TokenStream) -> TokenStream {
    main_fn::entry(args.into(), input.into()).into()
}

/// Binds a method of a `#[kratos::service]` trait to an HTTP route; read by that macro.
#[proc_macro_attribute]
pub fn route(_args: TokenStream, input: TokenStream) -> TokenStream {
    let input = proc_macro2::TokenStream::from(input);
    let error = syn::Error::new(
        proc_macro2::Span::call_site(),
        "`#[route]` only goes on a method of a trait annotated `#[kratos::service(package = \"...\")]`",
    )
    .to_compile_error();
    quote::quote!(#error #input).into()
}
