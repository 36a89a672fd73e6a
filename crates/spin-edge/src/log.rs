//! Writing log lines to stderr.
//!
//! When Spin exports telemetry it sends every write a component makes to
//! stderr as its own OpenTelemetry log record, and `eprintln!` writes a
//! line in pieces (the text, then the newline). Writing each line, newline
//! included, in one call keeps one log line one record.

pub fn emit(line: &str) {
    let mut whole = String::with_capacity(line.len() + 1);
    whole.push_str(line);
    whole.push('\n');
    write_stderr(whole.as_bytes());
}

/// Straight to the WASI stream: std's stderr goes through wasi-libc's file
/// descriptors first, which cost about as much again as the write itself.
#[cfg(target_arch = "wasm32")]
fn write_stderr(bytes: &[u8]) {
    // WASI caps one blocking write at 4096 bytes.
    const WRITE_CHUNK: usize = 4096;
    let stream = wasi::cli::stderr::get_stderr();
    // `blocking_write_and_flush` takes at most 4 KiB, and a line can be
    // longer (a client chooses the path): such a line goes in one `write`
    // when the stream takes it whole (Spin's take 1 MiB), else in pieces.
    if bytes.len() > WRITE_CHUNK {
        stream.subscribe().block();
        let fits = stream
            .check_write()
            .is_ok_and(|permitted| permitted >= bytes.len() as u64);
        if fits && stream.write(bytes).is_ok() {
            let _ = stream.blocking_flush();
            return;
        }
    }
    for chunk in bytes.chunks(WRITE_CHUNK) {
        // Nowhere left to report a failed log write; the request goes on.
        if stream.blocking_write_and_flush(chunk).is_err() {
            return;
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn write_stderr(bytes: &[u8]) {
    use std::io::Write;
    // Nowhere left to report a failed log write; the request goes on.
    let _ = std::io::stderr().write_all(bytes);
}
