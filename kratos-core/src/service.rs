//! A served service as the application sees it: its descriptor and a way to mount
//! it on whichever servers the application runs, plus the `inventory` records
//! through which `#[kratos::service]` impls register themselves.

use std::any::Any;

use kratos_config::Config;

use crate::descriptor::ServiceDescriptor;
use crate::error::Error;

/// A service ready to be served: the `GreeterServer<T>` that `#[kratos::service]` writes.
pub trait Service: Send + Sync + 'static {
    /// The service's names, methods and routes.
    fn descriptor(&self) -> &'static ServiceDescriptor;

    /// Adds this service's adapter to `server` when the server's transport is one it
    /// speaks; returns whether it did. `server` is the concrete server behind
    /// [`crate::Server::as_any_mut`], which keeps this crate free of transports.
    fn mount(&self, server: &mut dyn Any) -> Result<bool, Error>;
}

impl Service for Box<dyn Service> {
    fn descriptor(&self) -> &'static ServiceDescriptor {
        (**self).descriptor()
    }

    fn mount(&self, server: &mut dyn Any) -> Result<bool, Error> {
        (**self).mount(server)
    }
}

/// Anything [`crate::AppBuilder::service`] accepts: a [`Service`], or a type whose
/// `impl Trait for Type` block is annotated `#[kratos::service]`.
///
/// `M` only disambiguates the impls; it is inferred.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a kratos service",
    label = "not a service",
    note = "pass `GreeterServer::new(value)` (the `<Trait>Server` that `#[kratos::service]` writes beside the trait), or annotate the `impl Trait for {Self}` block with `#[kratos::service]`"
)]
pub trait IntoService<M> {
    /// Wraps the value into the service the application serves.
    fn into_service(self) -> Box<dyn Service>;
}

impl<S: Service> IntoService<()> for S {
    fn into_service(self) -> Box<dyn Service> {
        Box::new(self)
    }
}

/// How an annotated `impl Trait for Type` block registers itself for `#[kratos::main]`.
pub struct ServiceRegistration {
    /// The service it implements (its gRPC name is `descriptor.full_name`).
    pub descriptor: &'static ServiceDescriptor,
    /// The Rust type that implements it.
    pub implementation: &'static str,
    /// Builds the value: `Default`, or scanned from a config key.
    pub build: fn(&Config) -> Result<Box<dyn Service>, Error>,
}

inventory::collect!(ServiceRegistration);

impl ServiceRegistration {
    /// The value an annotated impl without `config = ".."` serves. A function of its
    /// own so that a type without `Default` gets [`BuiltByDefault`]'s advice, at the
    /// impl's type, instead of a bare "`Default` is not implemented".
    #[doc(hidden)]
    pub fn default_value<T: BuiltByDefault>() -> T {
        T::build_default()
    }
}

/// A type `#[kratos::service]` on its impl can build at start-up: every `Default` type.
#[diagnostic::on_unimplemented(
    message = "`#[kratos::service]` on this impl builds `{Self}` with `Default`, which `{Self}` does not implement",
    label = "`{Self}` has no `Default`",
    note = "a service handed its dependencies (a repository, a pool, a client) is added in main instead: remove `#[kratos::service]` from this impl and write `app.service(GreeterServer::new({Self}::new(..)))` (the `<Trait>Server` beside your trait)",
    note = "or derive `Default` for `{Self}`, or build it from a config key with `#[kratos::service(config = \"key\")]`"
)]
pub trait BuiltByDefault: Sized {
    /// `Default::default()`.
    fn build_default() -> Self;
}

impl<T: Default> BuiltByDefault for T {
    fn build_default() -> Self {
        T::default()
    }
}

/// Every service registered with `inventory` in this binary.
pub fn registered() -> impl Iterator<Item = &'static ServiceRegistration> {
    inventory::iter::<ServiceRegistration>.into_iter()
}

/// Builds a service implementation from the config value at `key`, for
/// `#[kratos::service(config = "key")]`.
pub fn from_config<T: serde::de::DeserializeOwned>(config: &Config, key: &str) -> Result<T, Error> {
    config.get::<T>(key)?.ok_or_else(|| {
        Error::internal_server(
            "CONFIG",
            format!(
                "config key {key:?} is missing: {} is built from it",
                std::any::type_name::<T>()
            ),
        )
    })
}
