//! `google.api.HttpBody` and `kratos.api.FilePart` as messages: they cross gRPC with
//! google's field numbers, and the `.proto` export places HttpBody in
//! google/api/httpbody.proto, the file a client's own copy of google's API imports.

use kratos::prelude::*;
use kratos::proto::{FilePart, HttpBody};

use crate::common::grpc_url;

/// A file sent to [`Blobs::store`].
#[kratos::message]
pub struct StoreRequest {
    /// The uploaded files.
    pub files: Vec<FilePart>,
}

/// Raw bodies in and out.
#[kratos::service(package = "blobs.v1")]
pub trait Blobs {
    /// Answers the body it got, its media type prefixed with `echo+`.
    #[route(post = "/v1/echo", body = "*")]
    async fn echo(&self, req: HttpBody) -> kratos::Result<HttpBody>;
    /// Answers the first file's bytes with the file's media type.
    #[route(post = "/v1/store", body = "*")]
    async fn store(&self, req: StoreRequest) -> kratos::Result<HttpBody>;
}

struct BlobsImpl;

impl Blobs for BlobsImpl {
    async fn echo(&self, req: HttpBody) -> kratos::Result<HttpBody> {
        Ok(HttpBody {
            content_type: format!("echo+{}", req.content_type),
            data: req.data,
        })
    }
    async fn store(&self, req: StoreRequest) -> kratos::Result<HttpBody> {
        let first = req.files.into_iter().next().unwrap_or_default();
        Ok(HttpBody {
            content_type: first.content_type,
            data: first.data,
        })
    }
}

fn app() -> App {
    App::builder()
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0"))
        .server(GrpcServer::new().address("127.0.0.1:0"))
        .service(BlobsServer::new(BlobsImpl))
        .build()
}

#[tokio::test]
async fn http_body_and_file_parts_cross_grpc() {
    let app = app().start().await.expect("starts");
    let client = BlobsClient::grpc(&grpc_url(&app)).unwrap();
    let data: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let reply = client
        .echo(HttpBody {
            content_type: "image/png".into(),
            data: data.clone(),
        })
        .await
        .unwrap();
    assert_eq!(reply.content_type, "echo+image/png");
    assert_eq!(reply.data, data);
    let reply = client
        .store(StoreRequest {
            files: vec![FilePart {
                filename: "a.txt".into(),
                content_type: "text/plain".into(),
                data: b"hello".to_vec(),
            }],
        })
        .await
        .unwrap();
    assert_eq!(reply.content_type, "text/plain");
    assert_eq!(reply.data, b"hello");
}

#[test]
fn google_field_numbers_on_the_wire() {
    use kratos::__private::prost::Message as _;
    let body = HttpBody {
        content_type: "a/b".into(),
        data: vec![7],
    };
    // content_type = 1 (string), data = 2 (bytes), as google/api/httpbody.proto.
    assert_eq!(body.encode_to_vec(), b"\x0a\x03a/b\x12\x01\x07");
}

#[cfg(feature = "proto-export")]
#[test]
fn the_export_imports_google_api_httpbody() {
    let dir = tempfile::tempdir().unwrap();
    let written = kratos::bootstrap::export_proto(&app(), dir.path()).unwrap();
    let read = |p: &str| std::fs::read_to_string(dir.path().join(p)).unwrap();
    assert!(
        written
            .iter()
            .any(|p| p.ends_with("google/api/httpbody.proto"))
    );
    let httpbody = read("google/api/httpbody.proto");
    assert!(httpbody.contains("package google.api;"), "{httpbody}");
    assert!(httpbody.contains("message HttpBody {"), "{httpbody}");
    assert!(httpbody.contains("string content_type = 1;"), "{httpbody}");
    assert!(httpbody.contains("bytes data = 2;"), "{httpbody}");
    let service = read("blobs/v1/blobs.proto");
    assert!(
        service.contains("import \"google/api/httpbody.proto\";"),
        "{service}"
    );
    assert!(
        service.contains("import \"kratos/api/api.proto\";"),
        "{service}"
    );
    assert!(
        service.contains("rpc Echo(google.api.HttpBody) returns (google.api.HttpBody)"),
        "{service}"
    );
    assert!(
        service.contains("repeated kratos.api.FilePart files = 1;"),
        "{service}"
    );
    let part = read("kratos/api/api.proto");
    assert!(part.contains("message FilePart {"), "{part}");
}
