//! Services: one `#[kratos::service]` trait each, methods named in snake_case,
//! streams as `kratos::Streaming<T>`, routes from `google.api.http`.

use prost_reflect::{FileDescriptor, ServiceDescriptor};

use super::super::diag::comment;
use super::super::http;
use super::super::model::{Item, Method, Service};
use super::super::names::{ident, snake, upper_camel};
use super::Mapper;

impl Mapper {
    pub(super) fn service(&mut self, file: &FileDescriptor, service: &ServiceDescriptor) {
        let Some(name) = ident(service.name()).filter(|n| !n.starts_with("r#")) else {
            self.report.error(
                file,
                service.path(),
                service.full_name(),
                "this name cannot be a Rust trait: rename the service".to_owned(),
            );
            return;
        };
        // The trait and the two types the macro writes beside it share the package's
        // module with its messages and enums.
        for written in [
            name.clone(),
            format!("{name}Server"),
            format!("{name}Client"),
        ] {
            let taken = self
                .names
                .iter()
                .find(|(_, (p, n))| p == file.package_name() && *n == written)
                .map(|(full, _)| full.clone());
            if let Some(full) = taken {
                self.report.error(
                    file,
                    service.path(),
                    service.full_name(),
                    format!("the service's Rust item `{written}` (#[kratos::service] writes {name}, {name}Server and {name}Client) is already {full}: rename one of them"),
                );
            }
        }
        let mut methods = Vec::new();
        for method in service.methods() {
            let element = method.full_name().to_owned();
            let rust = snake(method.name());
            if upper_camel(&rust) != method.name() {
                self.report.error(
                    file,
                    method.path(),
                    &element,
                    format!("kratos-rs names a method after its Rust name in UpperCamelCase; `{rust}` gives `{}`, not `{}`: rename the method", upper_camel(&rust), method.name()),
                );
                continue;
            }
            let Some(ident) = ident(&rust) else {
                self.report.error(
                    file,
                    method.path(),
                    &element,
                    "this name cannot be a Rust method: rename it".to_owned(),
                );
                continue;
            };
            let input = method.input();
            let output = method.output();
            let request = self.type_path(file, method.path(), &element, input.full_name());
            let reply = self.type_path(file, method.path(), &element, output.full_name());
            let (Some(request), Some(reply)) = (request, reply) else {
                continue;
            };
            let routes = http::routes(&mut self.report, file, &method);
            methods.push(Method {
                doc: comment(file, method.path()),
                proto_name: method.name().to_owned(),
                ident,
                request,
                reply,
                client_streams: method.is_client_streaming(),
                server_streams: method.is_server_streaming(),
                routes,
            });
        }
        let doc = comment(file, service.path());
        self.push(
            file,
            Item::Service(Service {
                file: file.name().to_owned(),
                doc,
                name,
                methods,
            }),
        );
    }
}
