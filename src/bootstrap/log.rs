//! The log `#[kratos::main]` sets up, from the config's `log` section: `log.level`
//! (the default filter; `RUST_LOG` wins when set) and `log.format`, `text` (the
//! default, for people) or `json` (one object per line, for fluentd, Loki and
//! friends: `timestamp`, `level`, `target`, `message`, the event's fields, and the
//! service's `service.name`, `service.version` and `service.id` on every line).
//! A line written inside a traced call carries its `trace_id` and `span_id` in
//! both formats; with traces on, `tracing` spans (`#[tracing::instrument]`) become
//! spans of the call's trace.

use std::fmt;

use serde::Deserialize;
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{Format, Full, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// The `log` section of the config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LogSection {
    /// `log.redact_headers`: headers whose values never reach a log, besides
    /// `authorization`, `proxy-authorization`, `cookie` and `set-cookie`.
    pub(crate) redact_headers: Vec<String>,
    /// `log.level`: the default filter (`info`), in `RUST_LOG`'s syntax.
    pub(crate) level: Option<String>,
    /// `log.format`: `text` (default) or `json`.
    pub(crate) format: Option<String>,
}

/// Who writes the log: the service as its JSON lines name it.
pub(crate) struct Service {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) id: String,
}

/// The tracer `tracing` spans are turned into OpenTelemetry spans with, when traces are on.
#[cfg(feature = "opentelemetry")]
pub(crate) type SpanTracer = opentelemetry_sdk::trace::Tracer;
/// Without the `opentelemetry` feature there is none.
#[cfg(not(feature = "opentelemetry"))]
pub(crate) type SpanTracer = std::convert::Infallible;

/// Installs the process's subscriber; stdout, or stderr when stdout is the
/// export's list of files. A second call keeps the first subscriber. A bad
/// `log.level` or `log.format` is refused, naming the key.
pub(crate) fn init(
    log: &LogSection,
    service: Service,
    to_stderr: bool,
    tracer: Option<SpanTracer>,
) -> Result<(), String> {
    let filter = match EnvFilter::try_from_default_env() {
        Ok(filter) => filter,
        Err(_) => {
            let level = log.level.as_deref().unwrap_or("info");
            EnvFilter::try_new(level)
                .map_err(|e| format!("config key \"log.level\" is {level:?}: {e}"))?
        }
    };
    let json = match log.format.as_deref() {
        None | Some("text") => false,
        Some("json") => true,
        Some(other) => {
            return Err(format!(
                "config key \"log.format\" is {other:?}: write `text` or `json`"
            ));
        }
    };
    let (writer, terminal) = if to_stderr {
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
        (BoxMakeWriter::new(std::io::stderr), terminal)
    } else {
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
        (BoxMakeWriter::new(std::io::stdout), terminal)
    };
    let layer = tracing_subscriber::fmt::layer().with_writer(writer);
    let lines: Box<dyn Layer<Registry> + Send + Sync> = if json {
        Box::new(layer.event_format(JsonLine { service }))
    } else {
        let text = Format::default().with_target(false).with_ansi(terminal);
        Box::new(layer.event_format(TextLine { inner: text }))
    };
    let subscriber = tracing_subscriber::registry().with(lines).with(filter);
    #[cfg(feature = "opentelemetry")]
    let subscriber =
        subscriber.with(tracer.map(|tracer| tracing_opentelemetry::layer().with_tracer(tracer)));
    #[cfg(not(feature = "opentelemetry"))]
    let _ = tracer;
    let _ = subscriber.try_init();
    Ok(())
}

/// The trace and span ids current on this thread, as log lines carry them.
fn trace_ids() -> Option<(String, String)> {
    #[cfg(feature = "opentelemetry")]
    {
        kratos_core::middleware::tracing::current_span_context()
            .map(|span| (span.trace_id().to_string(), span.span_id().to_string()))
    }
    #[cfg(not(feature = "opentelemetry"))]
    {
        None
    }
}

/// tracing-subscriber's text line, with the call's `trace_id` and `span_id` at its end.
struct TextLine {
    inner: Format<Full, SystemTime>,
}

impl<S, N> FormatEvent<S, N> for TextLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let Some((trace_id, span_id)) = trace_ids() else {
            return self.inner.format_event(ctx, writer, event);
        };
        let mut line = String::new();
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        let line = line.strip_suffix('\n').unwrap_or(&line);
        writeln!(writer, "{line} trace_id={trace_id} span_id={span_id}")
    }
}

/// One JSON object per event.
struct JsonLine {
    service: Service,
}

impl<S, N> FormatEvent<S, N> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        let meta = event.metadata();
        let mut line = Map::new();
        line.insert("timestamp".into(), Value::String(timestamp));
        line.insert("level".into(), Value::String(meta.level().to_string()));
        line.insert("target".into(), Value::String(meta.target().to_owned()));
        let mut fields = Fields(Map::new());
        event.record(&mut fields);
        let message = fields
            .0
            .remove("message")
            .unwrap_or(Value::String(String::new()));
        line.insert("message".into(), message);
        line.insert(
            "service.name".into(),
            Value::String(self.service.name.clone()),
        );
        line.insert(
            "service.version".into(),
            Value::String(self.service.version.clone()),
        );
        line.insert("service.id".into(), Value::String(self.service.id.clone()));
        if let Some((trace_id, span_id)) = trace_ids() {
            line.insert("trace_id".into(), Value::String(trace_id));
            line.insert("span_id".into(), Value::String(span_id));
        }
        // An event's fields beside the fixed keys; one named like them is kept apart.
        for (key, value) in fields.0 {
            if line.contains_key(&key) {
                line.insert(format!("fields.{key}"), value);
            } else {
                line.insert(key, value);
            }
        }
        let text = serde_json::to_string(&Value::Object(line)).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// An event's fields as JSON values. A name given twice (an event's `message`
/// field beside its text) keeps the first under its name, the others under
/// `fields.<name>`.
struct Fields(Map<String, Value>);

impl Fields {
    fn insert(&mut self, field: &Field, value: Value) {
        let name = field.name();
        if self.0.contains_key(name) {
            self.0.insert(format!("fields.{name}"), value);
        } else {
            self.0.insert(name.to_owned(), value);
        }
    }
}

impl Visit for Fields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let value = serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number);
        self.insert(field, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.insert(field, value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.insert(field, value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.insert(field, value.into());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.insert(field, value.into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.insert(field, Value::String(format!("{value:?}")));
    }
}
