//! The HTTP routes as an OpenAPI 3.0.3 document, for people and for client
//! generators of other languages. Schemas describe the JSON kratos speaks, the
//! protobuf JSON mapping: lowerCamel names, 64-bit integers as strings, bytes as
//! base64, enums by name, Timestamp and Duration as strings; errors are the kratos
//! error body.
//!
//! A message's schema is named by its full proto name (`helloworld.v1.HelloRequest`),
//! the way the `.proto` export places it, so names never collide across packages.
//! Only methods with a route appear: gRPC-only methods have no HTTP surface.

mod schema;

use serde_json::{Map, Value, json};

use schema::{Schemas, describe_in, doc_text, error_schema, well_known};

use super::field_path::{resolve, wire_fields};
use super::layout::{self, full_name, package_of};
use super::message::{FieldDescriptor, FieldKind, FieldType, MessageDescriptor};
use super::{HttpMethod, MethodDescriptor, RouteBody, RouteDescriptor, ServiceDescriptor};

/// The component name of the kratos error body, every operation's `default` response.
pub const ERROR_SCHEMA: &str = "kratos.Error";

/// The routes of `services` as an OpenAPI 3.0.3 document with the given title and version.
pub fn openapi(services: &[&'static ServiceDescriptor], title: &str, version: &str) -> Value {
    let mut schemas = Schemas::default();
    let mut paths = Map::new();
    let mut tags: Vec<Value> = Vec::new();
    for service in layout::sorted_services(services) {
        if service.methods.iter().all(|m| m.routes.is_empty()) {
            continue;
        }
        if !tags.iter().any(|t| t["name"] == service.name) {
            let mut tag = json!({ "name": service.name });
            describe_in(&mut tag, &doc_text(service.doc));
            tags.push(tag);
        }
        for method in service.methods {
            for (index, route) in method.routes.iter().enumerate() {
                let operation = operation(&mut schemas, service, method, route, index);
                let item = paths
                    .entry(route.path.to_owned())
                    .or_insert_with(|| json!({}));
                let verb = route.method.as_str().to_ascii_lowercase();
                // The first binding of a path and verb wins, as on the server.
                if item.get(&verb).is_none() {
                    item[verb] = operation;
                }
            }
        }
    }
    let mut components = schemas.schemas;
    components.insert(ERROR_SCHEMA.to_owned(), error_schema());
    json!({
        "openapi": "3.0.3",
        "info": { "title": title, "version": version },
        "tags": tags,
        "paths": paths,
        "components": { "schemas": components },
    })
}

/// The path template's variables, as written between braces.
fn template_variables(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
        .collect()
}

/// One binding of a method; `index` tells a method's later bindings apart in their operation ids.
fn operation(
    schemas: &mut Schemas,
    service: &ServiceDescriptor,
    method: &MethodDescriptor,
    route: &RouteDescriptor,
    index: usize,
) -> Value {
    let package = service.package;
    let (request, reply) = ((method.request)(), (method.reply)());
    let operation_id = match index {
        0 => format!("{}_{}", service.name, method.name),
        n => format!("{}_{}_{}", service.name, method.name, n + 1),
    };
    let mut operation = json!({ "tags": [service.name], "operationId": operation_id });
    describe_in(&mut operation, &doc_text(method.doc));

    let mut parameters = Vec::new();
    for (i, variable) in template_variables(route.path).into_iter().enumerate() {
        let path = route.params.get(i).copied().unwrap_or(variable);
        let (schema, doc) = match leaf(request, path, package) {
            Some((field, context)) => (schemas.field_schema(field, context), doc_text(field.doc)),
            None => (json!({ "type": "string" }), String::new()),
        };
        let mut parameter =
            json!({ "name": variable, "in": "path", "required": true, "schema": schema });
        describe_in(&mut parameter, &doc);
        parameters.push(parameter);
    }
    if route.body != RouteBody::All && !method.shape.client_streams() {
        let bound = |path: &str| {
            route.params.contains(&path)
                || matches!(route.body, RouteBody::Field(f)
                    if path == f || path.strip_prefix(f).is_some_and(|r| r.starts_with('.')))
        };
        let mut stack = vec![full_name(
            package_of(request.package, package),
            request.name,
        )];
        query(
            schemas,
            request,
            package,
            "",
            &bound,
            &mut stack,
            &mut parameters,
        );
    }
    if !parameters.is_empty() {
        operation["parameters"] = Value::Array(parameters);
    }

    let body = match route.body {
        RouteBody::None => None,
        RouteBody::All => Some(schemas.message_ref(request, package)),
        RouteBody::Field(f) => Some(match resolve(request, f).as_deref() {
            Some([field]) => schemas.field_schema(field, package_of(request.package, package)),
            _ => json!({}),
        }),
    };
    if let Some(schema) = body {
        let mut content = json!({ "application/json": { "schema": schema } });
        if is_http_body(request) {
            // The raw body in any media type, no codec.
            content = json!({ "*/*": { "schema": { "type": "string", "format": "binary" } } });
        } else if route.body == RouteBody::All
            && let Some(form) = multipart_schema(schemas, request, package)
        {
            // The server takes only a form on such a route.
            content = json!({ "multipart/form-data": { "schema": form } });
        }
        operation["requestBody"] = json!({ "content": content });
    }

    let mut responses = Map::new();
    let reply_ref = schemas.message_ref(reply, package);
    match (method.shape.client_streams(), method.shape.server_streams()) {
        // A streamed upload: a form read part by part as it arrives.
        (true, false) if is_form_chunk(request) && route.method != HttpMethod::Get => {
            operation["requestBody"] = json!({
                "description": "A multipart/form-data form, handed to the method as it arrives: one kratos.api.FormChunk per chunk of each part.",
                "content": { "multipart/form-data": { "schema": {
                    "type": "object",
                    "additionalProperties": { "type": "string", "format": "binary" },
                } } },
            });
            responses.insert(
                route.status.to_string(),
                json!({
                    "description": status_text(route.status),
                    "content": { "application/json": { "schema": reply_ref } },
                }),
            );
        }
        // A stream of requests is a WebSocket: one message per frame each way.
        (true, _) => {
            let request_ref = schemas.message_ref(request, package);
            responses.insert(
                "101".to_owned(),
                json!({
                    "description": "Switching Protocols: a WebSocket. Requests and replies are one message per frame (JSON text by default); the client half-closes with the text frame \"\\u001eend\"; an error is the text frame \"\\u001eerror:<message>\" then close code 1011.",
                    "x-websocket": { "request": request_ref, "reply": reply_ref },
                }),
            );
        }
        (false, true) => {
            responses.insert(
                "200".to_owned(),
                json!({
                    "description": "A stream of replies: Server-Sent Events (`event: message`, then `event: error` with the kratos error body if it fails), or NDJSON (`{\"result\": ..}` per line) with `Accept: application/x-ndjson`.",
                    "content": {
                        "text/event-stream": { "schema": reply_ref.clone() },
                        "application/x-ndjson": { "schema": reply_ref },
                    },
                }),
            );
        }
        (false, false) if is_http_body(reply) => {
            responses.insert(
                route.status.to_string(),
                json!({
                    "description": "The raw body, in the media type the handler names (application/octet-stream by default).",
                    "content": { "*/*": { "schema": { "type": "string", "format": "binary" } } },
                }),
            );
        }
        (false, false) => {
            responses.insert(
                route.status.to_string(),
                json!({
                    "description": status_text(route.status),
                    "content": { "application/json": { "schema": reply_ref } },
                }),
            );
        }
    }
    responses.insert(
        "default".to_owned(),
        json!({
            "description": "An error, in the kratos error body.",
            "content": { "application/json": { "schema": {
                "$ref": format!("#/components/schemas/{ERROR_SCHEMA}")
            } } },
        }),
    );
    operation["responses"] = Value::Object(responses);
    operation
}

/// The field a dotted path ends at, and the package its type names resolve in.
fn leaf(
    message: &'static MessageDescriptor,
    path: &str,
    package: &'static str,
) -> Option<(&'static FieldDescriptor, &'static str)> {
    let fields = resolve(message, path)?;
    let mut context = package_of(message.package, package);
    for field in &fields[..fields.len() - 1] {
        if let FieldKind::Singular(FieldType::Message(m))
        | FieldKind::Optional(FieldType::Message(m)) = field.kind
        {
            context = package_of(m().package, context);
        }
    }
    Some((fields[fields.len() - 1], context))
}

/// Query parameters for the fields a route leaves to the query string: scalars,
/// enums and lists of them, nested messages' fields as `a.b`, each message once
/// along a path so a message that contains itself ends.
fn query(
    schemas: &mut Schemas,
    message: &'static MessageDescriptor,
    package: &'static str,
    prefix: &str,
    bound: &dyn Fn(&str) -> bool,
    stack: &mut Vec<String>,
    out: &mut Vec<Value>,
) {
    let context = package_of(message.package, package);
    for field in wire_fields(message) {
        let path = format!("{prefix}{}", field.json_name);
        if bound(&path) {
            continue;
        }
        let schema = match field.kind {
            FieldKind::Singular(FieldType::Message(m))
            | FieldKind::Optional(FieldType::Message(m)) => {
                let m = m();
                if let Some(schema) = well_known(m) {
                    schema
                } else {
                    let name = full_name(package_of(m.package, context), m.name);
                    if !stack.contains(&name) {
                        stack.push(name);
                        query(schemas, m, context, &format!("{path}."), bound, stack, out);
                        stack.pop();
                    }
                    continue;
                }
            }
            FieldKind::Singular(ty) | FieldKind::Optional(ty) => schemas.type_schema(ty, context),
            FieldKind::Repeated(FieldType::Message(_))
            | FieldKind::Map(..)
            | FieldKind::Oneof(_) => continue,
            FieldKind::Repeated(ty) => {
                json!({ "type": "array", "items": schemas.type_schema(ty, context) })
            }
        };
        let mut parameter = json!({ "name": path, "in": "query", "schema": schema });
        describe_in(&mut parameter, &doc_text(field.doc));
        out.push(parameter);
    }
}

fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        _ => "Success",
    }
}

/// Whether `message` is `kratos.api.FormChunk`, a streamed form's item.
fn is_form_chunk(message: &MessageDescriptor) -> bool {
    message.name == "FormChunk" && message.package == Some("kratos.api")
}

/// Whether `message` is `google.api.HttpBody`, which HTTP carries raw.
fn is_http_body(message: &MessageDescriptor) -> bool {
    message.name == "HttpBody" && message.package == Some("google.api")
}

/// The `multipart/form-data` form of a request with `kratos.api.FilePart` fields:
/// those as binary parts (an array for `repeated`), the other fields as text parts.
fn multipart_schema(
    schemas: &mut Schemas,
    request: &'static MessageDescriptor,
    package: &'static str,
) -> Option<Value> {
    let file = |ty: &FieldType| matches!(ty, FieldType::Message(m) if m().name == "FilePart" && m().package == Some("kratos.api"));
    let binary = json!({ "type": "string", "format": "binary" });
    let mut properties = Map::new();
    let mut any_file = false;
    for field in request.fields {
        let schema = match field.kind {
            FieldKind::Singular(ty) if file(&ty) => binary.clone(),
            FieldKind::Repeated(ty) if file(&ty) => json!({ "type": "array", "items": binary }),
            _ => {
                properties.insert(
                    field.name.to_owned(),
                    schemas.field_schema(field, package_of(request.package, package)),
                );
                continue;
            }
        };
        any_file = true;
        properties.insert(field.name.to_owned(), schema);
    }
    any_file.then(|| json!({ "type": "object", "properties": properties }))
}

#[cfg(test)]
mod tests;
