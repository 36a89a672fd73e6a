//! Sending a buffered response through Spin's response outparam, and
//! finishing its body, so the client has the whole answer before the
//! component goes on with anything else.

use crate::pause;
use crate::streams::{self, WriteStop};
use spin_sdk::http::{OutgoingBody, OutgoingResponse, Response, ResponseOutparam};
use std::time::Duration;

/// How long a client has to take a body that does not fit the host's buffer
/// at once: one that stops reading must not hold the instance, and the work
/// deferred past the response, for longer.
const RESPONSE_WAIT: Duration = Duration::from_secs(10);

/// Sends `response`; on error, says what failed (the client may have gone).
///
/// A body the host can take at once is written and finished before the
/// response is handed over, so Spin sends head and body together. Handed
/// over first, the head can leave alone, and on a kept-alive connection
/// the body then waits for the client's delayed acknowledgement (about
/// 40 ms on Linux). A larger body is handed over first and streamed.
pub fn send(mut response: Response, outparam: ResponseOutparam) -> Result<(), String> {
    let bytes = std::mem::take(response.body_mut());
    // A declared length lets clients (and proxies) see the end of the body
    // without chunked framing; the body written below is exactly this long.
    // A 204 has no body by definition, and HTTP forbids it the header.
    if *response.status() != 204 && response.header("content-length").is_none() {
        response.set_header("content-length", bytes.len().to_string());
    }
    let outgoing = OutgoingResponse::try_from(response).map_err(|error| error.to_string())?;
    let body = outgoing
        .body()
        .map_err(|()| "response body unavailable".to_owned())?;
    let stream = body
        .write()
        .map_err(|()| "response body stream unavailable".to_owned())?;
    let takes_all_now = stream
        .check_write()
        .is_ok_and(|room| room >= bytes.len() as u64);
    if takes_all_now {
        stream
            .write(&bytes)
            .map_err(|error| format!("response body write failed: {error:?}"))?;
        drop(stream);
        OutgoingBody::finish(body, None)
            .map_err(|error| format!("response not finished: {error:?}"))?;
        outparam.set(outgoing);
        return Ok(());
    }
    let deadline = pause::timer(RESPONSE_WAIT);
    outparam.set(outgoing);
    streams::write_all(&stream, &deadline, &bytes).map_err(|stop| match stop {
        // Left unfinished: the declared length tells the client it is cut.
        WriteStop::TimedOut => "the client took no more of the body for 10 s".to_owned(),
        WriteStop::Failed(cause) => format!("response body write failed: {cause}"),
    })?;
    drop(stream);
    OutgoingBody::finish(body, None).map_err(|error| format!("response not finished: {error:?}"))
}
