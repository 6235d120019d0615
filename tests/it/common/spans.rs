//! A span exporter that keeps what a test's own tracer provider ended, so a test
//! reads its spans from the OpenTelemetry SDK's pipeline, never the global one.

use std::sync::{Arc, Mutex};

use opentelemetry::trace::SpanKind;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};

/// The spans a provider of the test ended, in order.
#[derive(Clone, Debug, Default)]
pub struct Collected(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Collected {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.lock().unwrap().extend(batch);
        Ok(())
    }
}

impl Collected {
    /// Every span ended so far.
    pub fn spans(&self) -> Vec<SpanData> {
        self.0.lock().unwrap().clone()
    }

    /// The spans ended so far with this name and kind.
    pub fn named(&self, name: &str, kind: SpanKind) -> Vec<SpanData> {
        self.spans()
            .into_iter()
            .filter(|s| s.name == name && s.span_kind == kind)
            .collect()
    }

    /// The one server span ended so far with this name; fails the test otherwise.
    pub fn one(&self, name: &str) -> SpanData {
        let spans = self.named(name, SpanKind::Server);
        assert_eq!(spans.len(), 1, "{name}: {spans:#?}");
        spans.into_iter().next().unwrap()
    }
}

/// The value of a span's attribute, as text.
pub fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

/// A provider that records every span and hands it over as it ends.
pub fn provider() -> (SdkTracerProvider, Collected) {
    let collected = Collected::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(collected.clone())
        .build();
    (provider, collected)
}
