//! Middlewares around whole streams, on servers and clients; metadata; a refused WebSocket.

use std::sync::Arc;

use kratos::Streaming;
use kratos::prelude::*;
use kratos::stream::StreamSummary;

use super::*;

#[tokio::test]
async fn middleware_runs_once_per_stream_and_sees_its_end() {
    let f = start().await;
    for (transport, client) in f.clients() {
        let before = f.ended("/streamtest.v1.Ticker/Ticks").len();
        drain(client.ticks(ticks(4)).await.unwrap())
            .await
            .1
            .unwrap();
        let request = TickRequest {
            count: 3,
            fail_at: 1,
            ..TickRequest::default()
        };
        let _ = drain(client.ticks(request).await.unwrap()).await;
        client
            .add(Streaming::iter((0..7).map(|n| Num { n })))
            .await
            .unwrap();
        let ticks = f.ended("/streamtest.v1.Ticker/Ticks");
        assert_eq!(
            ticks.len(),
            before + 2,
            "{transport}: once per stream: {ticks:?}"
        );
        let summary = ticks[before].summary.expect("a StreamSummary at the end");
        assert_eq!((summary.received, summary.sent), (1, 4), "{transport}");
        assert_eq!(ticks[before + 1].code, 409, "{transport}");
        let add = f.ended("/streamtest.v1.Ticker/Add");
        let summary = add.last().unwrap().summary.unwrap();
        assert_eq!((summary.received, summary.sent), (7, 1), "{transport}");
    }
}

#[tokio::test]
async fn metadata_reaches_the_handler_of_a_stream() {
    let f = start().await;
    for (transport, client) in f.clients() {
        let client = client.middleware(SetHeader);
        let (got, _) = drain(client.mirror(&caller(), words(&["hi"])).await.unwrap()).await;
        assert_eq!(got[0].text, "me:hi", "{transport}");
    }
}

#[tokio::test]
async fn x_md_global_metadata_propagates_on_streams() {
    let app = App::builder()
        .handle_signals(false)
        .server(
            HttpServer::new()
                .address("127.0.0.1:0")
                .middleware(kratos::middleware::metadata::server()),
        )
        .server(
            GrpcServer::new()
                .address("127.0.0.1:0")
                .middleware(kratos::middleware::metadata::server()),
        )
        .service(TickerServer::new(TickerImpl {
            seen: Arc::new(Seen::default()),
        }))
        .build()
        .start()
        .await
        .unwrap();
    let grpc = app
        .endpoint("grpc")
        .unwrap()
        .replacen("grpc://", "http://", 1);
    for client in [
        TickerClient::http(app.endpoint("http").unwrap()).unwrap(),
        TickerClient::grpc(&grpc).unwrap(),
    ] {
        let client = client.middleware(kratos::middleware::metadata::client());
        let mut ctx = caller();
        ctx.metadata_mut().set("x-md-global-who", "md:");
        let (got, end) = drain(client.mirror(&ctx, words(&["hi"])).await.unwrap()).await;
        end.unwrap();
        assert_eq!(got[0].text, "md:hi");
    }
}

/// Sends `x-who: me:` with every call.
struct SetHeader;

#[kratos::middleware]
impl Middleware for SetHeader {
    async fn handle(
        &self,
        ctx: &mut Context,
        req: Request,
        next: Next<'_>,
    ) -> kratos::Result<Reply> {
        ctx.request_headers_mut()
            .insert("x-who", http::HeaderValue::from_static("me:"));
        next.run(ctx, req).await
    }
}

/// Refuses every call without `authorization`.
struct NeedsToken;

#[kratos::middleware]
impl Middleware for NeedsToken {
    async fn handle(
        &self,
        ctx: &mut Context,
        req: Request,
        next: Next<'_>,
    ) -> kratos::Result<Reply> {
        if ctx.request_header("authorization").is_none() {
            return Err(Error::unauthorized("NO_TOKEN", "missing token"));
        }
        next.run(ctx, req).await
    }
}

#[tokio::test]
async fn a_middleware_refusal_of_a_websocket_is_an_http_answer() {
    let app = App::builder()
        .handle_signals(false)
        .server(
            HttpServer::new()
                .address("127.0.0.1:0")
                .middleware(NeedsToken),
        )
        .service(TickerServer::new(TickerImpl {
            seen: Arc::new(Seen::default()),
        }))
        .build()
        .start()
        .await
        .unwrap();
    let client = TickerClient::http(app.endpoint("http").unwrap()).unwrap();
    let error = client.mirror(&caller(), words(&["a"])).await.unwrap_err();
    assert_eq!((error.code, error.reason.as_str()), (401, "NO_TOKEN"));
    let client = client.middleware(Token);
    let (got, end) = drain(client.mirror(&caller(), words(&["a"])).await.unwrap()).await;
    end.unwrap();
    assert_eq!(got.len(), 1);
}

/// Sends a token.
struct Token;

#[kratos::middleware]
impl Middleware for Token {
    async fn handle(
        &self,
        ctx: &mut Context,
        req: Request,
        next: Next<'_>,
    ) -> kratos::Result<Reply> {
        ctx.request_headers_mut()
            .insert("authorization", http::HeaderValue::from_static("Bearer t"));
        next.run(ctx, req).await
    }
}

#[tokio::test]
async fn a_client_middleware_sees_the_whole_stream_too() {
    let f = start().await;
    for (transport, client) in f.clients() {
        let recorder = Recorder::default();
        let client = client.middleware(recorder.clone());
        drain(client.ticks(ticks(3)).await.unwrap())
            .await
            .1
            .unwrap();
        client
            .add(Streaming::iter((0..7).map(|n| Num { n })))
            .await
            .unwrap();
        let failing = TickRequest {
            count: 4,
            fail_at: 2,
            ..TickRequest::default()
        };
        let _ = drain(client.ticks(failing).await.unwrap()).await;
        let ended = recorder.0.lock().unwrap().clone();
        assert_eq!(ended.len(), 3, "{transport}: once per stream: {ended:?}");
        // A client reads replies and writes requests.
        assert_eq!(
            ended[0].summary,
            Some(StreamSummary::new(3, 1)),
            "{transport}"
        );
        assert_eq!(
            ended[1].summary,
            Some(StreamSummary::new(1, 7)),
            "{transport}"
        );
        assert_eq!(ended[2].code, 409, "{transport}: {:?}", ended[2]);
    }
}
