//! `google.api.HttpBody` and `kratos.api.FilePart` as messages: they cross gRPC with
//! google's field numbers, and the `.proto` export places HttpBody in
//! google/api/httpbody.proto, the file a client's own copy of google's API imports.

use kratos::prelude::*;
use kratos::proto::{FilePart, HttpBody};
use kratos::stream::Streaming;

use crate::common::{grpc_url, http_url};
use crate::curl::{assert_error, get, send};

/// A file sent to [`Blobs::store`].
#[kratos::message]
pub struct StoreRequest {
    /// A text part.
    pub note: String,
    /// A number part.
    pub copies: u32,
    /// The uploaded files.
    pub files: Vec<FilePart>,
}

/// Raw bodies in and out.
#[kratos::service(package = "blobs.v1")]
pub trait Blobs {
    /// Answers the body it got, its media type prefixed with `echo+`.
    #[route(post = "/v1/echo", body = "*")]
    async fn echo(&self, req: HttpBody) -> kratos::Result<HttpBody>;
    /// [`Blobs::echo`] with a body limit of its own, over the server's 1 MiB.
    #[route(post = "/v1/big", body = "*", max_body = "2MiB")]
    async fn big(&self, req: HttpBody) -> kratos::Result<HttpBody>;
    /// Answers a fixed file with no media type, as an attachment.
    #[route(get = "/v1/file")]
    async fn file(&self, ctx: &Context, req: FileRequest) -> kratos::Result<HttpBody>;
    /// Answers `count` chunks of 1000 bytes each (chunk `i` all `i`), then fails
    /// when `fail` is set.
    #[route(get = "/v1/chunks")]
    async fn chunks(&self, req: ChunksRequest) -> kratos::Result<Streaming<HttpBody>>;
    /// Answers the first file's bytes with the file's media type.
    #[route(post = "/v1/store", body = "*")]
    async fn store(&self, req: StoreRequest) -> kratos::Result<HttpBody>;
    /// Answers what it got: one file, and a user from the path.
    #[route(post = "/v1/users/{user}/avatar", body = "*")]
    async fn avatar(&self, req: AvatarRequest) -> kratos::Result<HttpBody>;
}

/// One required file, with a path variable.
#[kratos::message]
pub struct AvatarRequest {
    /// From the path.
    pub user: String,
    /// A text part.
    pub caption: String,
    /// The one file.
    pub image: FilePart,
}

/// The request of [`Blobs::file`].
#[kratos::message]
pub struct FileRequest {}

/// The request of [`Blobs::chunks`].
#[kratos::message]
pub struct ChunksRequest {
    /// How many chunks.
    pub count: u32,
    /// Whether the stream ends with an error after them.
    pub fail: bool,
}

struct BlobsImpl;

impl Blobs for BlobsImpl {
    async fn echo(&self, req: HttpBody) -> kratos::Result<HttpBody> {
        Ok(HttpBody {
            content_type: format!("echo+{}", req.content_type),
            data: req.data,
        })
    }
    async fn big(&self, req: HttpBody) -> kratos::Result<HttpBody> {
        self.echo(req).await
    }
    async fn file(&self, ctx: &Context, _: FileRequest) -> kratos::Result<HttpBody> {
        ctx.set_reply_header("content-disposition", "attachment; filename=\"a.bin\"")?;
        Ok(HttpBody {
            content_type: String::new(),
            data: vec![0, 1, 2, 255],
        })
    }
    async fn chunks(&self, req: ChunksRequest) -> kratos::Result<Streaming<HttpBody>> {
        let (tx, stream) = Streaming::channel(4);
        tokio::spawn(async move {
            for i in 0..req.count {
                let chunk = HttpBody {
                    content_type: "text/csv".into(),
                    data: vec![i as u8; 1000],
                };
                if tx.send(chunk).await.is_err() {
                    return;
                }
            }
            if req.fail {
                let _ = tx
                    .fail(kratos::Error::internal_server("BROKEN", "disk gone"))
                    .await;
            }
        });
        Ok(stream)
    }
    async fn store(&self, req: StoreRequest) -> kratos::Result<HttpBody> {
        let files: Vec<String> = req
            .files
            .iter()
            .map(|f| format!("{}:{}:{}", f.filename, f.content_type, f.data.len()))
            .collect();
        let first = req
            .files
            .first()
            .map(|f| f.data.clone())
            .unwrap_or_default();
        let summary = format!(
            "note={} copies={} files={} first={}",
            req.note,
            req.copies,
            files.join(","),
            String::from_utf8_lossy(&first)
        );
        Ok(HttpBody {
            content_type: "text/plain".into(),
            data: summary.into_bytes(),
        })
    }

    async fn avatar(&self, req: AvatarRequest) -> kratos::Result<HttpBody> {
        let image = &req.image;
        Ok(HttpBody {
            content_type: "text/plain".into(),
            data: format!(
                "user={} caption={} image={}:{}:{}",
                req.user,
                req.caption,
                image.filename,
                image.content_type,
                image.data.len()
            )
            .into_bytes(),
        })
    }
}

fn app() -> App {
    App::builder()
        .handle_signals(false)
        .server(HttpServer::new().address("127.0.0.1:0").max_body(1 << 20))
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
            note: "n".into(),
            copies: 2,
            files: vec![FilePart {
                filename: "a.txt".into(),
                content_type: "text/plain".into(),
                data: b"hello".to_vec(),
            }],
        })
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8(reply.data).unwrap(),
        "note=n copies=2 files=a.txt:text/plain:5 first=hello"
    );
}

#[tokio::test]
async fn an_http_body_request_takes_the_raw_body_and_its_media_type() {
    let app = app().start().await.expect("starts");
    let url = format!("{}/v1/echo", http_url(&app));
    // Not JSON, and a media type no codec is registered for: no codec is asked.
    let data: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let res = send("POST", &url, &[("content-type", "image/png")], &data).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.content_type(), "echo+image/png");
    assert_eq!(res.body, data);
    let res = send(
        "POST",
        &url,
        &[("content-type", "application/json")],
        "{not json",
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body, b"{not json");
    // Past the server's body limit (1 MiB here): 413 as for any route.
    let big = vec![b'x'; (1 << 20) + 1];
    let res = send("POST", &url, &[("content-type", "text/plain")], &big).await;
    assert_error(&res, 413, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn a_route_limit_replaces_the_servers() {
    let app = app().start().await.expect("starts");
    let url = format!("{}/v1/big", http_url(&app));
    let under = vec![b'x'; 2 << 20];
    let res = send("POST", &url, &[("content-type", "text/plain")], &under).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.body.len(), 2 << 20);
    let over = vec![b'x'; (2 << 20) + 1];
    let res = send("POST", &url, &[("content-type", "text/plain")], &over).await;
    assert_error(&res, 413, "PAYLOAD_TOO_LARGE");
    assert!(
        res.json()["message"]
            .as_str()
            .unwrap()
            .contains("route's max_body")
    );
}

#[tokio::test]
async fn an_http_body_reply_is_written_raw_with_the_handlers_headers() {
    let app = app().start().await.expect("starts");
    let res = get(&format!("{}/v1/file", http_url(&app))).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.content_type(), "application/octet-stream");
    assert_eq!(
        res.headers["content-disposition"],
        "attachment; filename=\"a.bin\""
    );
    assert_eq!(res.body, [0, 1, 2, 255]);
}

#[tokio::test]
async fn a_stream_of_http_bodies_is_one_raw_body() {
    let app = app().start().await.expect("starts");
    let url = http_url(&app);
    let res = get(&format!("{url}/v1/chunks?count=3")).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.content_type(), "text/csv");
    let expected: Vec<u8> = [0u8, 1, 2].iter().flat_map(|&i| vec![i; 1000]).collect();
    assert_eq!(res.body, expected);
    // An error after the first chunks cuts the body short: the connection closes
    // without the chunked body's last chunk, so no client takes it for a whole file.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = url.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /v1/chunks?count=2&fail=true HTTP/1.1\r\nhost: {addr}\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        tcp.read_to_end(&mut raw),
    )
    .await
    .expect("the server closes the connection")
    .unwrap();
    let raw = String::from_utf8_lossy(&raw);
    assert!(!raw.ends_with("0\r\n\r\n"), "{raw}");
}

/// Runs `curl` with `args` and answers (status, body).
async fn curl(args: &[&str]) -> (u16, String) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    // Off the test's runtime thread, which also runs the server.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            .args(["-sS", "--max-time", "60", "-w", "\n%{http_code}"])
            .args(args)
            .output()
    })
    .await
    .unwrap()
    .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').expect("a status line");
    (status.parse().expect("a status"), body.to_owned())
}

#[tokio::test]
async fn multipart_fills_text_and_file_fields_from_curl() {
    let app = app().start().await.expect("starts");
    let url = format!("{}/v1/store", http_url(&app));
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.txt");
    std::fs::write(&a, "hello").unwrap();
    let b = dir.path().join("b.bin");
    std::fs::write(&b, vec![0u8; 3000]).unwrap();
    let (status, body) = curl(&[
        "-F",
        "note=two files",
        "-F",
        "copies=3",
        "-F",
        &format!("files=@{};type=text/plain", a.display()),
        "-F",
        &format!("files=@{}", b.display()),
        &url,
    ])
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        "note=two files copies=3 files=a.txt:text/plain:5,b.bin:application/octet-stream:3000 first=hello"
    );

    // A number part that is not a number, a text part where a file goes, a file
    // where text goes, a broken body: 400 CODEC naming the part.
    let bad = [
        (vec!["-F", "copies=many"], "copies"),
        (vec!["-F", "files=just text"], "files"),
    ];
    for (args, part) in bad {
        let mut all = args.clone();
        all.push(&url);
        let (status, body) = curl(&all).await;
        assert_eq!(status, 400, "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["reason"], "CODEC", "{body}");
        assert!(json["message"].as_str().unwrap().contains(part), "{body}");
    }
    // Past the server's 1 MiB, as a chunked body with no length to refuse it by
    // up front: 413 from inside the form, as the form is parsed while it arrives.
    let big = dir.path().join("big.bin");
    std::fs::write(&big, vec![1u8; (1 << 20) + 4096]).unwrap();
    let big_file = format!("files=@{}", big.display());
    let (status, body) = curl(&[
        "-H",
        "Transfer-Encoding: chunked",
        "-F",
        "note=big",
        "-F",
        &big_file,
        &url,
    ])
    .await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("PAYLOAD_TOO_LARGE"), "{body}");
    let note_file = format!("note=@{}", a.display());
    let (status, body) = curl(&["-F", &note_file, &url]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("note"), "{body}");
    let res = send(
        "POST",
        &url,
        &[("content-type", "multipart/form-data; boundary=xyz")],
        "not a multipart body",
    )
    .await;
    assert_error(&res, 400, "CODEC");
    assert!(
        res.json()["message"]
            .as_str()
            .unwrap()
            .contains("multipart")
    );
}

#[tokio::test]
async fn multipart_from_python_requests() {
    let app = app().start().await.expect("starts");
    let url = format!("{}/v1/store", http_url(&app));
    let script = r#"
import sys, requests
r = requests.post(sys.argv[1], data={"note": "py", "copies": "1"},
                  files={"files": ("r.csv", b"x,y\n1,2\n", "text/csv")}, timeout=60)
print(r.status_code)
print(r.text)
"#;
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args(["-c", script, &url])
            .output()
    })
    .await
    .unwrap()
    .expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text,
        "200\nnote=py copies=1 files=r.csv:text/csv:8 first=x,y\n1,2\n\n"
    );
}

#[tokio::test]
async fn a_single_file_field_takes_one_file_and_requires_it() {
    let app = app().start().await.expect("starts");
    let url = format!("{}/v1/users/ana/avatar", http_url(&app));
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("me.png");
    std::fs::write(&png, [137u8, 80, 78, 71]).unwrap();
    let image = format!("image=@{};type=image/png", png.display());
    let (status, body) = curl(&["-F", "caption=hi", "-F", &image, &url]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, "user=ana caption=hi image=me.png:image/png:4");
    // No file, or two where one goes: 400 CODEC naming the part.
    for args in [vec!["-F", "caption=hi"], vec!["-F", &image, "-F", &image]] {
        let mut all = args.clone();
        all.push(&url);
        let (status, body) = curl(&all).await;
        assert_eq!(status, 400, "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["reason"], "CODEC", "{body}");
        assert!(
            json["message"].as_str().unwrap().contains("image"),
            "{body}"
        );
    }
    // A body that is not a form, even one the JSON codec would read: 400 CODEC
    // saying what to send, naming the file part.
    let res = send(
        "POST",
        &url,
        &[("content-type", "application/json")],
        r#"{"caption": "hi", "image": {"filename": "x", "data": "AAEC"}}"#,
    )
    .await;
    assert_error(&res, 400, "CODEC");
    let message = res.json()["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("multipart/form-data") && message.contains("\"image\""),
        "{message}"
    );
    let res = send("POST", &url, &[], "").await;
    assert_error(&res, 400, "CODEC");
}

/// The generated HTTP client speaks the server's binding: raw bodies both ways,
/// multipart for file fields (text fields as text parts, a path variable in the
/// path), and a stream of HttpBody read as raw chunks.
#[tokio::test]
async fn the_generated_http_client_sends_raw_bodies_and_forms() {
    let app = app().start().await.expect("starts");
    let client = BlobsClient::http(&http_url(&app)).unwrap();
    // Every byte value, and the bytes of a form boundary inside the data.
    let mut data: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    data.extend_from_slice(b"\r\n--kratos-form-0000\r\n");
    let reply = client
        .echo(HttpBody {
            content_type: "image/png".into(),
            data: data.clone(),
        })
        .await
        .unwrap();
    assert_eq!(reply.content_type, "echo+image/png");
    assert_eq!(reply.data, data);

    let ctx = Context::new(Kind::Http, "/client", Default::default());
    let reply = client.file(&ctx, FileRequest {}).await.unwrap();
    assert_eq!(reply.content_type, "application/octet-stream");
    assert_eq!(reply.data, [0, 1, 2, 255]);

    let files = vec![
        FilePart {
            filename: "a \"quoted\".txt".into(),
            content_type: "text/plain".into(),
            data: b"hello".to_vec(),
        },
        FilePart {
            filename: "b.bin".into(),
            content_type: String::new(),
            data: data.clone(),
        },
    ];
    let reply = client
        .store(StoreRequest {
            note: "from rust & co".into(),
            copies: 2,
            files,
        })
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8(reply.data).unwrap(),
        format!(
            "note=from rust & co copies=2 files=a %22quoted%22.txt:text/plain:5,b.bin:application/octet-stream:{} first=hello",
            data.len()
        )
    );

    let reply = client
        .avatar(AvatarRequest {
            user: "ana maria".into(),
            caption: String::new(),
            image: FilePart {
                filename: "me.png".into(),
                content_type: "image/png".into(),
                data: vec![1, 2, 3],
            },
        })
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8(reply.data).unwrap(),
        "user=ana maria caption= image=me.png:image/png:3"
    );

    let mut chunks = client
        .chunks(ChunksRequest {
            count: 3,
            fail: false,
        })
        .await
        .unwrap();
    let mut got = Vec::new();
    while let Some(chunk) = chunks.message().await.unwrap() {
        assert_eq!(chunk.content_type, "text/csv");
        got.extend(chunk.data);
    }
    let expected: Vec<u8> = [0u8, 1, 2].iter().flat_map(|&i| vec![i; 1000]).collect();
    assert_eq!(got, expected);
    // Cut short by the server's error: the call or its stream ends in an error
    // (the connection is cut, the error cannot travel in a raw body), never as if
    // the file were whole.
    let outcome = match client
        .chunks(ChunksRequest {
            count: 2,
            fail: true,
        })
        .await
    {
        Err(e) => Err(e),
        Ok(mut chunks) => loop {
            match chunks.message().await {
                Ok(Some(_)) => {}
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        },
    };
    assert!(outcome.is_err(), "a cut body must not end as a whole one");
    // The client's next call is served as usual.
    let reply = client.file(&ctx, FileRequest {}).await.unwrap();
    assert_eq!(reply.data, [0, 1, 2, 255]);
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
        service.contains("repeated kratos.api.FilePart files = 3;"),
        "{service}"
    );
    let part = read("kratos/api/api.proto");
    assert!(part.contains("message FilePart {"), "{part}");
}

#[cfg(feature = "openapi")]
#[test]
fn openapi_shows_multipart_and_raw_bodies() {
    let doc = kratos::descriptor::openapi::openapi(app().services(), "blobs", "1");
    let store = &doc["paths"]["/v1/store"]["post"]["requestBody"]["content"];
    let form = &store["multipart/form-data"]["schema"]["properties"];
    assert_eq!(form["files"]["type"], "array", "{store}");
    assert_eq!(form["files"]["items"]["format"], "binary", "{store}");
    assert!(form["note"].is_object(), "{store}");
    assert!(store.get("application/json").is_none(), "{store}");
    let echo = &doc["paths"]["/v1/echo"]["post"];
    assert_eq!(
        echo["requestBody"]["content"]["*/*"]["schema"]["format"], "binary",
        "{echo}"
    );
    assert_eq!(
        echo["responses"]["200"]["content"]["*/*"]["schema"]["format"], "binary",
        "{echo}"
    );
}
