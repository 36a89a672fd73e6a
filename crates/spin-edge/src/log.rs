//! Writing log lines to stderr.
//!
//! When Spin exports telemetry it sends every write a component makes to
//! stderr as its own OpenTelemetry log record, and `eprintln!` writes a
//! line in pieces (the text, then the newline). Writing each line, newline
//! included, in one call keeps one log line one record.

use std::io::Write;

pub fn emit(line: &str) {
    let mut whole = String::with_capacity(line.len() + 1);
    whole.push_str(line);
    whole.push('\n');
    // Nowhere left to report a failed log write; the request goes on.
    let _ = std::io::stderr().write_all(whole.as_bytes());
}
