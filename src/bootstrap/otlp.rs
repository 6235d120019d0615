//! The HTTP client OTLP/HTTP exports go through: the hyper client the transports
//! already build, its requests run on the app's tokio runtime. The SDK exports
//! from a thread of its own and waits there for each export, so a request is handed
//! to the runtime and only its answer crosses back; no second HTTP stack (reqwest
//! and the runtime it starts) is linked for this.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use opentelemetry_http::{HttpClient, HttpError, Request, Response};

/// The largest collector answer read (an OTLP answer is a few bytes, or a status text).
const MAX_ANSWER: usize = 64 * 1024;

/// Sends OTLP requests with hyper on the runtime `runtime`, each bounded by `timeout`.
#[derive(Debug, Clone)]
pub(crate) struct RuntimeClient {
    client: Client<HttpConnector, Full<Bytes>>,
    runtime: tokio::runtime::Handle,
    timeout: Duration,
}

impl RuntimeClient {
    /// A client on the runtime this is called from.
    pub(crate) fn new(timeout: Duration) -> Result<Self, String> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| "OTLP over HTTP needs the app's tokio runtime".to_owned())?;
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(timeout));
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            runtime,
            timeout,
        })
    }
}

impl HttpClient for RuntimeClient {
    fn send_bytes<'life0, 'async_trait>(
        &'life0 self,
        request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, HttpError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        let (client, timeout) = (self.client.clone(), self.timeout);
        let exchange = self.runtime.spawn(async move {
            let call = async {
                let response = client.request(request.map(Full::new)).await?;
                let (parts, body) = response.into_parts();
                let body = Limited::new(body, MAX_ANSWER).collect().await?.to_bytes();
                Ok::<_, HttpError>(Response::from_parts(parts, body))
            };
            match tokio::time::timeout(timeout, call).await {
                Ok(answer) => answer,
                Err(_) => Err(format!("no answer within {timeout:?}").into()),
            }
        });
        Box::pin(async move { exchange.await.map_err(|e| Box::new(e) as HttpError)? })
    }
}
