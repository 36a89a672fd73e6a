//! Sending a buffered response through Spin's response outparam, and
//! finishing its body, so the client has the whole answer before the
//! component goes on with anything else.

use spin_sdk::http::{OutgoingBody, OutgoingResponse, Response, ResponseOutparam};

/// WASI caps one blocking write at 4096 bytes.
pub(crate) const WRITE_CHUNK: usize = 4096;

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
    outparam.set(outgoing);
    for chunk in bytes.chunks(WRITE_CHUNK) {
        stream
            .blocking_write_and_flush(chunk)
            .map_err(|error| format!("response body write failed: {error:?}"))?;
    }
    drop(stream);
    OutgoingBody::finish(body, None).map_err(|error| format!("response not finished: {error:?}"))
}
