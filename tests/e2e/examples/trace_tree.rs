//! A trace viewer for the terminal: an OTLP/HTTP receiver on
//! 127.0.0.1:4318 (or the address given as the only argument) that prints
//! every trace Spin exports as a tree of spans, once no new span of it has
//! arrived for a few seconds.
//!
//!   cargo run -p e2e --example trace_tree
//!   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 spin up ...

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use e2e::otlp::{OtlpReceiver, Span};

/// Attributes worth a glance; the rest are Spin's code locations and timings.
const SHOWN: [&str; 3] = ["url.path", "url.full", "http.response.status_code"];

#[tokio::main]
async fn main() {
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:4318".to_owned());
    let receiver = OtlpReceiver::start_on(&bind).await;
    eprintln!(
        "listening: set OTEL_EXPORTER_OTLP_ENDPOINT={} for spin up",
        receiver.endpoint()
    );
    let mut printed = BTreeSet::new();
    let mut last_count: BTreeMap<String, usize> = BTreeMap::new();
    loop {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mut traces: BTreeMap<String, Vec<Span>> = BTreeMap::new();
        for span in receiver.spans() {
            traces.entry(span.trace_id.clone()).or_default().push(span);
        }
        for (trace_id, spans) in traces {
            // Settled: the same number of spans as three seconds ago.
            let settled = last_count.insert(trace_id.clone(), spans.len()) == Some(spans.len());
            if settled && printed.insert(trace_id.clone()) {
                print_trace(&trace_id, &spans);
            }
        }
    }
}

fn print_trace(trace_id: &str, spans: &[Span]) {
    println!("trace {trace_id}");
    let mut roots: Vec<&Span> = spans
        .iter()
        .filter(|s| !spans.iter().any(|p| p.span_id == s.parent_span_id))
        .collect();
    roots.sort_by_key(|s| s.start_ns);
    for root in roots {
        print_span(spans, root, 1);
    }
    println!();
}

fn print_span(spans: &[Span], span: &Span, depth: usize) {
    let ms = span.end_ns.saturating_sub(span.start_ns) as f64 / 1e6;
    let shown: Vec<String> = SHOWN
        .iter()
        .filter_map(|k| span.attribute(k).map(|v| format!("{k}={v}")))
        .collect();
    println!(
        "{}{} [{}] {ms:.1} ms {}",
        "  ".repeat(depth),
        span.name,
        span.service,
        shown.join(" ")
    );
    let mut children: Vec<&Span> = spans
        .iter()
        .filter(|s| s.parent_span_id == span.span_id)
        .collect();
    children.sort_by_key(|s| s.start_ns);
    for child in children {
        print_span(spans, child, depth + 1);
    }
}
