//! Outbound HTTP with bounded waits. Spin's own timeouts default to 600 s
//! and `spin_sdk::http::send` sets none, so every call here sets connect,
//! first-byte and between-bytes timeouts and an overall deadline that the
//! guest enforces itself (chained calls ignore the host's timeouts) and that
//! covers the whole exchange, response body included. Response bodies are
//! capped at [`MAX_RESPONSE_BYTES`]: a peer that answers more fails the
//! call rather than filling the instance's memory; a call that needs only
//! the status ([`OutboundRequest::status_only`]) reads no body. Several calls
//! can run at once, so a request that notifies two peers waits for the
//! slower, not for the sum.

use crate::pause;
use crate::streams::{self, ReadStop, WriteStop};
use spin_sdk::wit::wasi::http0_2_0::outgoing_handler;
use spin_sdk::wit::wasi::http0_2_0::types::{
    ErrorCode, Fields, FutureIncomingResponse, IncomingResponse, Method, OutgoingBody,
    OutgoingRequest, RequestOptions, Scheme,
};
use std::time::Duration;
use wasi::io::poll::Pollable;

/// Largest response body read from a peer. The services' own answers are
/// a few hundred bytes.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// An outbound request, fully buffered.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the response body is read (up to [`MAX_RESPONSE_BYTES`]).
    pub read_body: bool,
}

impl OutboundRequest {
    pub fn get(url: impl Into<String>) -> Self {
        Self {
            method: "GET",
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            read_body: true,
        }
    }

    pub fn post_json(url: impl Into<String>, body: Vec<u8>) -> Self {
        Self {
            method: "POST",
            url: url.into(),
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body,
            read_body: true,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The answer's status and headers are all the caller uses: its body,
    /// however long, is not read (the response's `body` is empty).
    pub fn status_only(mut self) -> Self {
        self.read_body = false;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundResponse {
    pub status: u16,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl OutboundResponse {
    /// The first value of the header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Why a call produced no response. Callers log it; clients never see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboundError {
    InvalidUrl(String),
    /// The host refused the call (e.g. not in `allowed_outbound_hosts`).
    Denied,
    /// A request header cannot be sent (a value with a control character):
    /// retrying the same request cannot help.
    InvalidHeader,
    /// Connecting, sending or receiving failed.
    Transport(String),
    /// No answer within the deadline.
    TimedOut,
    /// The peer answered `response`'s status and headers, but its body could
    /// not be read whole (`cause`: cut off, over the cap, or not finished
    /// in time). `response.body` is empty.
    BodyUnread {
        response: OutboundResponse,
        cause: Box<OutboundError>,
    },
}

impl std::fmt::Display for OutboundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InvalidUrl(url) => write!(f, "invalid url {url:?}"),
            Self::Denied => f.write_str("outbound request denied by the host"),
            Self::InvalidHeader => f.write_str("a request header value is invalid"),
            Self::Transport(reason) => write!(f, "transport error: {reason}"),
            Self::TimedOut => f.write_str("timed out"),
            Self::BodyUnread { response, cause } => {
                write!(f, "status {}, then {cause}", response.status)
            }
        }
    }
}

impl std::error::Error for OutboundError {}

/// A transport cause in words fit for a client: `ErrorCode::ConnectionRefused`
/// becomes `connection refused`, the WASI error's name without its payload
/// (which may name hosts); any other cause is returned as it is.
pub fn plain_words(cause: &str) -> String {
    let Some(name) = cause.strip_prefix("ErrorCode::") else {
        return cause.to_owned();
    };
    let name = name.split(['(', ' ', '{']).next().unwrap_or(name);
    let mut words = String::new();
    for (index, character) in name.chars().enumerate() {
        if character.is_uppercase() && index > 0 {
            words.push(' ');
        }
        words.extend(character.to_lowercase());
    }
    words
}

/// How long a call may take, at most, in total and per phase.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub connect: Duration,
    pub total: Duration,
}

impl Deadline {
    pub const fn within(connect: Duration, total: Duration) -> Self {
        Self { connect, total }
    }
}

/// Sends one request and waits at most `deadline` for its whole response.
pub fn send(
    request: OutboundRequest,
    deadline: Deadline,
) -> Result<OutboundResponse, OutboundError> {
    send_all(vec![request], deadline)
        .pop()
        .expect("one request gives one result")
}

/// Sends every request at once and waits for all, at most `deadline` in
/// total; results come back in the order of the requests.
pub fn send_all(
    requests: Vec<OutboundRequest>,
    deadline: Deadline,
) -> Vec<Result<OutboundResponse, OutboundError>> {
    // Started first, so that the time spent handing the hosts the request
    // bodies counts against the deadline too.
    let timer = pause::timer(deadline.total);
    let read_bodies: Vec<bool> = requests.iter().map(|r| r.read_body).collect();
    let started: Vec<Result<FutureIncomingResponse, OutboundError>> = requests
        .into_iter()
        .map(|r| start(r, deadline, &timer))
        .collect();

    let results = await_heads(&started, &timer);
    // The bodies are read under the same deadline: a peer that sends its
    // headers and then stalls is timed out like one that never answers.
    results
        .into_iter()
        .zip(read_bodies)
        .map(|(result, read_body)| {
            let cap = read_body.then_some(MAX_RESPONSE_BYTES);
            result.and_then(|response| read_response(response, &timer, cap))
        })
        .collect()
}

/// Waits for the response heads of the requests that started, until each
/// has answered or `timer` fires; a start that failed keeps its error, and
/// whatever has not answered by then has timed out.
fn await_heads(
    started: &[Result<FutureIncomingResponse, OutboundError>],
    timer: &Pollable,
) -> Vec<Result<IncomingResponse, OutboundError>> {
    let mut results: Vec<Option<Result<IncomingResponse, OutboundError>>> = started
        .iter()
        .map(|s| s.as_ref().err().map(|e| Err(e.clone())))
        .collect();
    loop {
        let pending: Vec<(usize, &FutureIncomingResponse)> = started
            .iter()
            .enumerate()
            .filter(|(index, _)| results[*index].is_none())
            .filter_map(|(index, future)| future.as_ref().ok().map(|f| (index, f)))
            .collect();
        if pending.is_empty() {
            break;
        }
        let pollables: Vec<_> = pending
            .iter()
            .map(|(_, future)| future.subscribe())
            .collect();
        let mut waiting_on: Vec<&wasi::io::poll::Pollable> = pollables.iter().collect();
        waiting_on.push(timer);
        let ready = wasi::io::poll::poll(&waiting_on);
        // Answers that came with the deadline still count: a provider's
        // `2xx` taken for a timeout would have its message sent again.
        let mut deadline_passed = false;
        for position in ready {
            let Some(&(index, future)) = pending.get(position as usize) else {
                deadline_passed = true;
                continue;
            };
            results[index] = future.get().map(|outcome| match outcome {
                Ok(Ok(response)) => Ok(response),
                Ok(Err(code)) => Err(transport_error(code)),
                Err(()) => Err(OutboundError::Transport(
                    "response already taken".to_owned(),
                )),
            });
        }
        if deadline_passed {
            // Whatever has not answered has timed out.
            for (index, _) in &pending {
                results[*index].get_or_insert(Err(OutboundError::TimedOut));
            }
            break;
        }
    }
    results
        .into_iter()
        .map(|result| result.unwrap_or(Err(OutboundError::TimedOut)))
        .collect()
}

fn transport_error(code: ErrorCode) -> OutboundError {
    match code {
        ErrorCode::HttpRequestDenied => OutboundError::Denied,
        ErrorCode::ConnectionTimeout | ErrorCode::ConnectionReadTimeout => OutboundError::TimedOut,
        other => OutboundError::Transport(format!("{other:?}")),
    }
}

fn start(
    request: OutboundRequest,
    deadline: Deadline,
    timer: &Pollable,
) -> Result<FutureIncomingResponse, OutboundError> {
    let uri: http::Uri = request
        .url
        .parse()
        .map_err(|_| OutboundError::InvalidUrl(request.url.clone()))?;
    let invalid = || OutboundError::InvalidUrl(request.url.clone());
    let scheme = match uri.scheme_str() {
        Some("http") => Scheme::Http,
        Some("https") => Scheme::Https,
        _ => return Err(invalid()),
    };
    let authority = uri.authority().ok_or_else(invalid)?.as_str();
    let path = uri.path_and_query().map_or("/", |p| p.as_str());

    let headers: Vec<(String, Vec<u8>)> = request
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), value.as_bytes().to_vec()))
        .collect();
    let fields = Fields::from_list(&headers).map_err(|_| OutboundError::InvalidHeader)?;
    let outgoing = OutgoingRequest::new(fields);
    let method = match request.method {
        "GET" => Method::Get,
        "POST" => Method::Post,
        other => Method::Other(other.to_owned()),
    };
    outgoing.set_method(&method).map_err(|()| invalid())?;
    outgoing.set_scheme(Some(&scheme)).map_err(|()| invalid())?;
    outgoing
        .set_authority(Some(authority))
        .map_err(|()| invalid())?;
    outgoing
        .set_path_with_query(Some(path))
        .map_err(|()| invalid())?;

    let options = RequestOptions::new();
    // Hosts may refuse to set a timeout; the overall deadline still holds.
    let _ = options.set_connect_timeout(Some(pause::nanos(deadline.connect)));
    let _ = options.set_first_byte_timeout(Some(pause::nanos(deadline.total)));
    let _ = options.set_between_bytes_timeout(Some(pause::nanos(deadline.total)));

    let body = outgoing
        .body()
        .map_err(|()| OutboundError::Transport("request body unavailable".to_owned()))?;
    let future = outgoing_handler::handle(outgoing, Some(options)).map_err(transport_error)?;
    write_body(body, &request.body, timer)?;
    Ok(future)
}

/// Hands the host the request body, unless `deadline` fires first (a peer
/// that does not read it would otherwise hold the instance).
fn write_body(body: OutgoingBody, bytes: &[u8], deadline: &Pollable) -> Result<(), OutboundError> {
    let failed = |reason: &str| OutboundError::Transport(reason.to_owned());
    {
        let stream = body
            .write()
            .map_err(|()| failed("request body stream unavailable"))?;
        streams::write_all(&stream, deadline, bytes).map_err(|stop| match stop {
            WriteStop::TimedOut => OutboundError::TimedOut,
            WriteStop::Failed(_) => failed("request body write failed"),
        })?;
    }
    OutgoingBody::finish(body, None).map_err(transport_error)
}

/// Reads the status and at most `cap` bytes of body (none without a cap),
/// giving up when `deadline` fires; the response stays alive until its body
/// is read (dropping it cancels the call).
fn read_response(
    response: IncomingResponse,
    deadline: &Pollable,
    cap: Option<usize>,
) -> Result<OutboundResponse, OutboundError> {
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| {
            (
                name.to_ascii_lowercase(),
                String::from_utf8_lossy(&value).into_owned(),
            )
        })
        .collect();
    let mut answered = OutboundResponse {
        status,
        headers,
        body: Vec::new(),
    };
    let Some(cap) = cap else {
        return Ok(answered);
    };
    match read_body(response, deadline, cap) {
        Ok(body) => {
            answered.body = body;
            Ok(answered)
        }
        Err(cause) => Err(OutboundError::BodyUnread {
            response: answered,
            cause: Box::new(cause),
        }),
    }
}

/// At most `cap` bytes of `response`'s body, before `deadline` fires.
fn read_body(
    response: IncomingResponse,
    deadline: &Pollable,
    cap: usize,
) -> Result<Vec<u8>, OutboundError> {
    let failed = |reason: &str| OutboundError::Transport(reason.to_owned());
    let body = response
        .consume()
        .map_err(|()| failed("response body unavailable"))?;
    let read = {
        let stream = body
            .stream()
            .map_err(|()| failed("response body stream unavailable"))?;
        streams::read_to_end(&stream, deadline, cap)
    };
    drop(body);
    read.map_err(|stop| match stop {
        ReadStop::OverCap => failed(&format!("response body over the {cap}-byte cap")),
        ReadStop::TimedOut => OutboundError::TimedOut,
        ReadStop::Failed(_) => failed("response body read failed"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasi_error_names_become_plain_words_without_their_payload() {
        assert_eq!(
            plain_words("ErrorCode::ConnectionRefused"),
            "connection refused"
        );
        assert_eq!(
            plain_words("ErrorCode::DnsError(DnsErrorPayload { rcode: Some(\"x\") })"),
            "dns error"
        );
        assert_eq!(
            plain_words("response body read failed"),
            "response body read failed"
        );
    }

    /// Callers retry a timeout but not a refusal by the host, which
    /// cannot pass by itself.
    #[test]
    fn host_refusals_and_timeouts_are_told_apart_from_other_transport_errors() {
        assert_eq!(
            transport_error(ErrorCode::HttpRequestDenied),
            OutboundError::Denied
        );
        for timeout in [
            ErrorCode::ConnectionTimeout,
            ErrorCode::ConnectionReadTimeout,
        ] {
            assert_eq!(transport_error(timeout), OutboundError::TimedOut);
        }
        assert_eq!(
            transport_error(ErrorCode::ConnectionRefused),
            OutboundError::Transport("ErrorCode::ConnectionRefused".to_owned())
        );
    }

    #[test]
    fn response_headers_are_found_in_any_case() {
        let response = OutboundResponse {
            status: 202,
            headers: vec![("x-message-id".to_owned(), "m-1".to_owned())],
            body: Vec::new(),
        };
        assert_eq!(response.header("X-Message-Id"), Some("m-1"));
        assert_eq!(response.header("etag"), None);
    }
}
