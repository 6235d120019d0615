//! Tests of the parent module.

use super::*;
use crate::descriptor::fixtures;

fn document() -> Value {
    openapi(
        &[&fixtures::CATALOG, &fixtures::GREETER],
        "Greeter API",
        "v1.2.3",
    )
}

/// Checks what any consumer relies on: every `$ref` resolves, every path variable has
/// its parameter, operation ids are unique, and each operation answers with a
/// success and the error body.
fn assert_consistent(doc: &Value) {
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r);
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").unwrap();
        assert!(
            schemas[name].is_object(),
            "{r} resolves to {:?}",
            schemas.get(name)
        );
    }
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (verb, operation) in item.as_object().unwrap() {
            assert!(["get", "post", "put", "patch", "delete"].contains(&verb.as_str()));
            assert!(ids.insert(operation["operationId"].as_str().unwrap().to_owned()));
            let empty = Vec::new();
            let parameters = operation["parameters"].as_array().unwrap_or(&empty);
            let in_path: Vec<_> = parameters
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            assert_eq!(in_path, template_variables(path), "{verb} {path}");
            let mut names: Vec<_> = parameters
                .iter()
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(
                names.len(),
                parameters.len(),
                "{verb} {path}: a parameter twice"
            );
            let responses = operation["responses"].as_object().unwrap();
            assert_eq!(responses.len(), 2, "{verb} {path}");
            assert_eq!(
                responses["default"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/kratos.Error"
            );
        }
    }
}

fn parameters(doc: &Value, path: &str, verb: &str) -> Vec<(String, String, Value)> {
    doc["paths"][path][verb]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["in"].as_str().unwrap().to_owned(),
                p["name"].as_str().unwrap().to_owned(),
                p["schema"].clone(),
            )
        })
        .collect()
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

#[test]
fn document_shape() {
    let doc = document();
    assert_consistent(&doc);
    assert_eq!(doc["openapi"], "3.0.3");
    assert_eq!(
        doc["info"],
        json!({ "title": "Greeter API", "version": "v1.2.3" })
    );
    // Catalog is gRPC only: no tag, no schema.
    assert_eq!(
        doc["tags"],
        json!([{ "name": "Greeter", "description": "The greeting service definition." }])
    );
    let mut schemas: Vec<_> = doc["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    schemas.sort();
    assert_eq!(
        schemas,
        [
            "common.v1.Child",
            "common.v1.Page",
            "helloworld.v1.Child",
            "helloworld.v1.Everything",
            "helloworld.v1.HelloReply",
            "helloworld.v1.HelloRequest",
            "kratos.Error",
        ]
    );
    let paths: Vec<_> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(paths.len(), 5, "{paths:?}");
    assert_eq!(
        doc["components"]["schemas"]["kratos.Error"]["properties"],
        json!({
            "code": { "type": "integer", "format": "int32" },
            "reason": { "type": "string" },
            "message": { "type": "string" },
            "metadata": { "type": "object", "additionalProperties": { "type": "string" } },
        })
    );
}

#[test]
fn get_binds_the_path_and_the_query() {
    let doc = document();
    let get = &doc["paths"]["/helloworld/{name}"]["get"];
    assert_eq!(get["operationId"], "Greeter_SayHello");
    assert_eq!(get["tags"], json!(["Greeter"]));
    assert_eq!(get["description"], "Sends a greeting.");
    assert!(get.get("requestBody").is_none());
    assert_eq!(
        get["parameters"][0],
        json!({ "name": "name", "in": "path", "required": true, "schema": { "type": "string" }, "description": "Who to greet." })
    );
    let names: Vec<_> = parameters(&doc, "/helloworld/{name}", "get")
        .into_iter()
        .map(|p| (p.0, p.1))
        .collect();
    let query = |n: &str| ("query".to_owned(), n.to_owned());
    assert_eq!(
        names,
        [
            ("path".to_owned(), "name".to_owned()),
            query("page.size"),
            query("page.token"),
            query("page.cursor.id"),
            query("page.cursor.displayName"),
        ]
    );
    assert_eq!(get["responses"]["200"]["description"], "OK");
    assert_eq!(
        get["responses"]["200"]["content"]["application/json"]["schema"],
        schema_ref("helloworld.v1.HelloReply")
    );
    // The second binding of the method.
    let post = &doc["paths"]["/helloworld"]["post"];
    assert_eq!(post["operationId"], "Greeter_SayHello_2");
    assert!(post.get("parameters").is_none());
    assert_eq!(
        post["requestBody"]["content"]["application/json"]["schema"],
        schema_ref("helloworld.v1.HelloRequest")
    );
}

#[test]
fn body_routes_and_status() {
    let doc = document();
    let store = &doc["paths"]["/v1/things"]["post"];
    assert_eq!(store["responses"]["201"]["description"], "Created");
    assert!(store["responses"].get("200").is_none());
    assert_eq!(
        store["requestBody"]["content"]["application/json"]["schema"],
        schema_ref("helloworld.v1.Everything")
    );
    // A body field: its schema is the body; the path takes a nested field; the rest is query.
    let path = "/v1/things/{thing.int64Value}";
    let patch = &doc["paths"][path]["patch"];
    assert_eq!(
        patch["requestBody"]["content"]["application/json"]["schema"],
        schema_ref("helloworld.v1.Everything")
    );
    assert_eq!(
        parameters(&doc, path, "patch"),
        [
            (
                "path".to_owned(),
                "thing.int64Value".to_owned(),
                json!({ "type": "string", "format": "int64" })
            ),
            (
                "query".to_owned(),
                "dryRun".to_owned(),
                json!({ "type": "boolean" })
            ),
        ]
    );
}

#[test]
fn delete_takes_every_other_scalar_from_the_query() {
    let doc = document();
    let parameters = parameters(&doc, "/v1/things/{int64_value}", "delete");
    let names: Vec<_> = parameters.iter().map(|p| p.1.as_str()).collect();
    // Not int64Value (the path), maps, repeated messages, nor `next` (Everything again).
    assert_eq!(
        names,
        [
            "int64_value",
            "doubleValue",
            "floatValue",
            "int32Value",
            "uint32Value",
            "uint64Value",
            "boolValue",
            "stringValue",
            "bytesValue",
            "tags",
            "limit",
            "child.id",
            "child.displayName",
            "status",
            "email",
            "person.id",
            "person.displayName",
            "createdAt",
            "ttl",
            "etag",
            "ids",
            "statuses",
        ]
    );
    let schema = |name: &str| parameters.iter().find(|p| p.1 == name).unwrap().2.clone();
    assert_eq!(
        schema("tags"),
        json!({ "type": "array", "items": { "type": "string" } })
    );
    assert_eq!(
        schema("ids"),
        json!({ "type": "array", "items": { "type": "string", "format": "int64" } })
    );
    assert_eq!(
        schema("createdAt"),
        json!({ "type": "string", "format": "date-time" })
    );
    assert_eq!(
        schema("status")["enum"],
        json!(["STATUS_UNSPECIFIED", "STATUS_ACTIVE", "STATUS_BLOCKED"])
    );
}

#[test]
fn no_routes_no_paths() {
    let doc = openapi(&[&fixtures::CATALOG], "t", "v");
    assert_eq!(doc["paths"], json!({}));
    assert_eq!(doc["tags"], json!([]));
    assert_eq!(doc["components"]["schemas"].as_object().unwrap().len(), 1);
}

#[test]
fn deterministic_whatever_the_input_order() {
    assert_eq!(
        document(),
        openapi(
            &[&fixtures::GREETER, &fixtures::CATALOG],
            "Greeter API",
            "v1.2.3"
        )
    );
}
