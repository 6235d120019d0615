//! Every shape on both transports with our clients, and errors before and after a stream opens.

use kratos::Streaming;

use super::*;
use crate::curl;

#[tokio::test]
async fn every_shape_on_both_transports_with_our_clients() {
    let f = start().await;
    for (transport, client) in f.clients() {
        let (got, end) = drain(client.ticks(ticks(3)).await.unwrap()).await;
        assert_eq!(
            got.iter().map(|t| t.n).collect::<Vec<_>>(),
            [3, 2, 1],
            "{transport}"
        );
        end.unwrap();

        let nums = Streaming::iter((1..=4).map(|n| Num { n }));
        let sum = client.add(nums).await.unwrap();
        assert_eq!((sum.sum, sum.count), (10, 4), "{transport}");

        let (got, end) = drain(
            client
                .mirror(&caller(), words(&["a", "b", "c"]))
                .await
                .unwrap(),
        )
        .await;
        end.unwrap();
        assert_eq!(
            got.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(),
            ["a", "b", "c"],
            "{transport}"
        );
    }
}

#[tokio::test]
async fn an_error_mid_stream_reaches_the_client_after_the_messages_before_it() {
    let f = start().await;
    for (transport, client) in f.clients() {
        let request = TickRequest {
            count: 5,
            fail_at: 3,
            ..TickRequest::default()
        };
        let (got, end) = drain(client.ticks(request).await.unwrap()).await;
        assert_eq!(
            got.iter().map(|t| t.n).collect::<Vec<_>>(),
            [5, 4],
            "{transport}"
        );
        let error = end.unwrap_err();
        assert_eq!(error.code, 409, "{transport}: {error:?}");
        if transport == "grpc" {
            assert_eq!(error.reason, "AT");
        }
        assert_eq!(error.message, "failed at 3", "{transport}");

        let (got, end) = drain(
            client
                .mirror(&caller(), words(&["x", "fail", "y"]))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(got.len(), 1, "{transport}: {got:?}");
        assert!(
            end.unwrap_err().message.contains("asked to fail"),
            "{transport}"
        );
    }
}

#[tokio::test]
async fn an_error_before_the_stream_opens_is_a_plain_error() {
    let f = start().await;
    for (transport, client) in f.clients() {
        let error = client.ticks(ticks(-1)).await.unwrap_err();
        assert_eq!(
            (error.code, error.reason.as_str()),
            (400, "NEGATIVE"),
            "{transport}"
        );
    }
    let answer = curl::get(&format!("{}/v1/ticks/-1", f.http())).await;
    curl::assert_error(&answer, 400, "NEGATIVE");
}
