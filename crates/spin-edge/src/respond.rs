//! Sending a buffered response through Spin's response outparam, and
//! finishing its body, so the client has the whole answer before the
//! component goes on with anything else.

use spin_sdk::http::{OutgoingBody, OutgoingResponse, Response, ResponseOutparam};

/// WASI caps one blocking write at 4096 bytes.
const WRITE_CHUNK: usize = 4096;

/// Sends `response`; on error, says what failed (the client may have gone).
pub fn send(mut response: Response, outparam: ResponseOutparam) -> Result<(), String> {
    let bytes = std::mem::take(response.body_mut());
    // A declared length lets clients (and proxies) see the end of the body
    // without chunked framing; the body written below is exactly this long.
    if response.header("content-length").is_none() {
        response.set_header("content-length", bytes.len().to_string());
    }
    let outgoing = OutgoingResponse::try_from(response).map_err(|error| error.to_string())?;
    let body = outgoing
        .body()
        .map_err(|()| "response body unavailable".to_owned())?;
    outparam.set(outgoing);
    {
        let stream = body
            .write()
            .map_err(|()| "response body stream unavailable".to_owned())?;
        for chunk in bytes.chunks(WRITE_CHUNK) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|error| format!("response body write failed: {error:?}"))?;
        }
    }
    OutgoingBody::finish(body, None).map_err(|error| format!("response not finished: {error:?}"))
}
