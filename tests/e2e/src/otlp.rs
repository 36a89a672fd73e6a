//! An OpenTelemetry collector stand-in: an OTLP/HTTP receiver on a loopback
//! port that decodes what Spin exports (protobuf on `/v1/traces` and
//! `/v1/logs`) and keeps it, raw bytes included, for the tests to inspect.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use prost::Message;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::http_wire::read_request;

/// One exported span, flattened: ids as lowercase hex, as W3C
/// `traceparent` writes them.
#[derive(Debug, Clone)]
pub struct Span {
    /// `service.name` of the process that exported it.
    pub service: String,
    pub trace_id: String,
    pub span_id: String,
    /// Empty for a root span.
    pub parent_span_id: String,
    pub name: String,
    /// Start and end, nanoseconds since the Unix epoch.
    pub start_ns: u64,
    pub end_ns: u64,
    /// Span and resource attributes, values rendered as text.
    pub attributes: BTreeMap<String, String>,
}

impl Span {
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

/// One exported log record, flattened.
#[derive(Debug, Clone)]
pub struct LogRecord {
    pub service: String,
    pub trace_id: String,
    pub span_id: String,
    pub body: String,
    pub attributes: BTreeMap<String, String>,
}

#[derive(Default)]
struct Received {
    spans: Vec<Span>,
    logs: Vec<LogRecord>,
    /// Every request body as it arrived, to search for what must not be
    /// there whatever field it hides in.
    raw: Vec<Vec<u8>>,
}

/// The receiver; stops on drop. Spin batches its exports (every few
/// seconds), so tests poll it with `eventually`.
pub struct OtlpReceiver {
    pub addr: SocketAddr,
    received: Arc<Mutex<Received>>,
    task: JoinHandle<()>,
}

impl OtlpReceiver {
    /// On a free loopback port.
    pub async fn start() -> OtlpReceiver {
        Self::start_on("127.0.0.1:0").await
    }

    /// On `bind` (`host:port`).
    pub async fn start_on(bind: &str) -> OtlpReceiver {
        let listener = TcpListener::bind(bind)
            .await
            .unwrap_or_else(|e| panic!("cannot listen on {bind}: {e}"));
        let addr = listener.local_addr().expect("addr");
        let received = Arc::new(Mutex::new(Received::default()));
        let store = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, store).await;
                });
            }
        });
        OtlpReceiver {
            addr,
            received,
            task,
        }
    }

    /// The value for `OTEL_EXPORTER_OTLP_ENDPOINT` (the exporter appends
    /// `/v1/traces` and `/v1/logs`).
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<Span> {
        self.received.lock().expect("lock").spans.clone()
    }

    /// Every log record received so far (Spin exports what components
    /// write to stdout and stderr, one record per write).
    pub fn logs(&self) -> Vec<LogRecord> {
        self.received.lock().expect("lock").logs.clone()
    }

    /// Every exported request body, undecoded.
    pub fn raw(&self) -> Vec<Vec<u8>> {
        self.received.lock().expect("lock").raw.clone()
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn text(value: &Option<AnyValue>) -> String {
    match value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        Some(any_value::Value::BytesValue(b)) => String::from_utf8_lossy(b).into_owned(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

fn attributes(list: &[KeyValue]) -> BTreeMap<String, String> {
    list.iter()
        .map(|kv| (kv.key.clone(), text(&kv.value)))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn record(store: &Mutex<Received>, path: &str, body: Vec<u8>) -> Result<(), String> {
    let mut received = store.lock().expect("lock");
    if path.ends_with("/v1/traces") {
        let request = ExportTraceServiceRequest::decode(body.as_slice())
            .map_err(|e| format!("bad trace export: {e}"))?;
        for resource_spans in request.resource_spans {
            let resource = attributes(
                &resource_spans
                    .resource
                    .map(|r| r.attributes)
                    .unwrap_or_default(),
            );
            let service = resource.get("service.name").cloned().unwrap_or_default();
            for scope in resource_spans.scope_spans {
                for span in scope.spans {
                    let mut attrs = resource.clone();
                    attrs.extend(attributes(&span.attributes));
                    received.spans.push(Span {
                        service: service.clone(),
                        trace_id: hex(&span.trace_id),
                        span_id: hex(&span.span_id),
                        parent_span_id: hex(&span.parent_span_id),
                        name: span.name,
                        start_ns: span.start_time_unix_nano,
                        end_ns: span.end_time_unix_nano,
                        attributes: attrs,
                    });
                }
            }
        }
    } else if path.ends_with("/v1/logs") {
        let request = ExportLogsServiceRequest::decode(body.as_slice())
            .map_err(|e| format!("bad log export: {e}"))?;
        for resource_logs in request.resource_logs {
            let resource = attributes(
                &resource_logs
                    .resource
                    .map(|r| r.attributes)
                    .unwrap_or_default(),
            );
            let service = resource.get("service.name").cloned().unwrap_or_default();
            for scope in resource_logs.scope_logs {
                for log in scope.log_records {
                    let mut attrs = resource.clone();
                    attrs.extend(attributes(&log.attributes));
                    received.logs.push(LogRecord {
                        service: service.clone(),
                        trace_id: hex(&log.trace_id),
                        span_id: hex(&log.span_id),
                        body: text(&log.body),
                        attributes: attrs,
                    });
                }
            }
        }
    }
    received.raw.push(body);
    Ok(())
}

/// Keep-alive honoured, every request answered `200` with an empty
/// protobuf body (a full success).
async fn serve(mut stream: TcpStream, store: Arc<Mutex<Received>>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    while let Some(request) = read_request(&mut stream, &mut buf).await? {
        let status = match record(&store, &request.path, request.body) {
            Ok(()) => "200 OK",
            Err(e) => {
                // The exporter only logs a refusal: say it where the test
                // output shows it.
                eprintln!("otlp receiver: {e}");
                "400 Bad Request"
            }
        };
        stream
            .write_all(
                format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n"
                )
                .as_bytes(),
            )
            .await?;
    }
    Ok(())
}
