//! Child processes that choose their own port and say which: `spin up`,
//! the OCI registry, chromedriver. Letting them bind port 0 is what keeps
//! another process from taking a port between choosing and binding it.

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// Reads `output` line by line until `parse` finds what it looks for in a
/// line, then keeps draining it in the background so the process never
/// blocks on a full pipe. If the output ends first, everything it said.
pub async fn announced<T, R>(output: R, parse: impl Fn(&str) -> Option<T>) -> Result<T, String>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    let mut lines = BufReader::new(output).lines();
    let mut seen = String::new();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(found) = parse(line.trim()) {
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return Ok(found);
        }
        seen.push_str(&line);
        seen.push('\n');
    }
    Err(seen)
}
