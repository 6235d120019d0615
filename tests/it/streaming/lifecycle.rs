//! How streams end: the peer leaving, the idle and open timeouts, the body read timeout, a stop.

use std::time::Duration;

use kratos::Streaming;

use super::*;
use crate::curl;

#[tokio::test]
async fn a_client_that_goes_away_ends_the_handlers_stream() {
    let f = start().await;
    for (transport, client) in f.clients() {
        let mut stream = client.ticks(ticks(1_000_000)).await.unwrap();
        assert!(stream.message().await.unwrap().is_some(), "{transport}");
        drop(stream);
        // The producer finds its reader gone: it is notified, or this test hangs.
        f.seen.cancelled.notified().await;
    }
}

#[tokio::test]
async fn a_stalled_stream_ends_at_the_idle_timeout() {
    let f = start_with(Duration::from_secs(1), Duration::from_millis(200)).await;
    for (transport, client) in f.clients() {
        let request = TickRequest {
            count: 1,
            stall: true,
            ..TickRequest::default()
        };
        let (got, end) = drain(client.ticks(request).await.unwrap()).await;
        assert_eq!(got.len(), 1, "{transport}");
        let error = end.unwrap_err();
        assert_eq!(error.code, 504, "{transport}: {error:?}");
    }
}

#[tokio::test]
async fn the_server_timeout_bounds_the_opening_not_the_life() {
    let f = start_with(Duration::from_millis(300), Duration::ZERO).await;
    for (transport, client) in f.clients() {
        let slow = TickRequest {
            count: 1,
            open_delay_ms: 5_000,
            ..TickRequest::default()
        };
        let error = client.ticks(slow).await.unwrap_err();
        assert_eq!(error.code, 504, "{transport}: {error:?}");
        // A stream that opened in time runs past the timeout: its messages are
        // read after a wait longer than the server timeout.
        let mut stream = client.ticks(ticks(2)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(600)).await;
        let (got, end) = drain(std::mem::replace(&mut stream, Streaming::empty())).await;
        end.unwrap();
        assert_eq!(got.len(), 2, "{transport}");
    }
}

#[tokio::test]
async fn a_stopping_server_ends_its_open_streams_cleanly() {
    let f = start().await;
    let [(_, http), (_, grpc)] = f.clients();
    let request = TickRequest {
        count: 1,
        stall: true,
        ..TickRequest::default()
    };
    let mut over_http = http.ticks(request.clone()).await.unwrap();
    let mut over_grpc = grpc.ticks(request).await.unwrap();
    assert!(over_http.message().await.unwrap().is_some());
    assert!(over_grpc.message().await.unwrap().is_some());
    // A bidi stream over a WebSocket whose client never half-closes.
    let (tx, words) = Streaming::channel(1);
    tx.send(Word { text: "w".into() }).await.unwrap();
    let mut over_ws = http.mirror(&caller(), words).await.unwrap();
    assert!(over_ws.message().await.unwrap().is_some());
    let mut app = f.app;
    let stop = tokio::spawn(async move { app.stop().await });
    assert!(
        matches!(over_http.message().await, Ok(None)),
        "SSE: a clean end"
    );
    assert!(
        matches!(over_grpc.message().await, Ok(None)),
        "gRPC: a clean end"
    );
    assert!(
        matches!(over_ws.message().await, Ok(None)),
        "WebSocket: close 1000"
    );
    drop(tx);
    stop.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_grpc_client_stream_outlives_the_body_read_timeout() {
    let mut limits = ConnectionConfig::default();
    limits.body_read_timeout = Duration::from_millis(200);
    let f = start_configured(Duration::from_secs(1), Duration::ZERO, limits).await;
    let client = TickerClient::grpc(&f.grpc()).unwrap();
    // The requests trickle in for longer than the body read timeout, which is for
    // unary bodies: the stream is not cut.
    let (tx, nums) = Streaming::channel(1);
    let sending = tokio::spawn(async move {
        for n in 1..=3 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            tx.send(Num { n }).await.unwrap();
        }
    });
    let sum = client.add(nums).await.unwrap();
    sending.await.unwrap();
    assert_eq!((sum.sum, sum.count), (6, 3));
}

#[tokio::test]
async fn a_callers_shorter_timeout_bounds_the_opening() {
    // The server would wait a minute for the stream to open; the caller asks for 100ms.
    let f = start_with(Duration::from_secs(60), Duration::ZERO).await;
    let url = format!("{}/v1/ticks/1?openDelayMs=2000", f.http());
    let answer = curl::send("GET", &url, &[("x-request-timeout", "100")], "").await;
    curl::assert_error(&answer, 504, "TIMEOUT");
    assert!(answer.text().contains("100ms"), "{}", answer.text());
}
