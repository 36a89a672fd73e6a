//! One outbound HTTP call with every wait bounded. Provider APIs are real
//! TCP peers, where WASI's request options (connect, first byte, between
//! bytes) hold; an overall timer bounds the rest.

use std::time::Duration;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, IncomingResponse, Method, OutgoingBody, OutgoingRequest, RequestOptions,
    Scheme,
};
use wasi::io::streams::StreamError;

/// Answers larger than this are cut: a receipt is all a provider needs.
const MAX_BODY: usize = 64 * 1024;

/// A POST with a JSON body.
pub struct Call<'a> {
    pub url: &'a str,
    pub headers: Vec<(&'a str, String)>,
    pub body: Vec<u8>,
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Why no answer came; the message names no URL and no credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The URL is not http(s): a configuration error.
    InvalidUrl,
    /// Spin refused the host (not in `allowed_outbound_hosts`).
    Denied,
    TimedOut,
    /// Connection refused, reset, DNS, TLS…: the WASI error's name.
    Transport(String),
}

impl Call<'_> {
    pub fn post(self) -> Result<Response, CallError> {
        let future = self.start()?;
        let timer = wasi::clocks::monotonic_clock::subscribe_duration(nanos(self.total_timeout));
        let ready = future.subscribe();
        let which = wasi::io::poll::poll(&[&ready, &timer]);
        if !which.contains(&0) {
            return Err(CallError::TimedOut);
        }
        drop(ready);
        match future.get() {
            Some(Ok(Ok(response))) => read(response),
            Some(Ok(Err(code))) => Err(error(code)),
            _ => Err(CallError::Transport("no response".to_owned())),
        }
    }

    fn start(&self) -> Result<outgoing_handler::FutureIncomingResponse, CallError> {
        let uri: http::Uri = self.url.parse().map_err(|_| CallError::InvalidUrl)?;
        let scheme = match uri.scheme_str() {
            Some("http") => Scheme::Http,
            Some("https") => Scheme::Https,
            _ => return Err(CallError::InvalidUrl),
        };
        let authority = uri.authority().ok_or(CallError::InvalidUrl)?.as_str();
        let path = uri.path_and_query().map_or("/", |p| p.as_str());

        let mut headers: Vec<(String, Vec<u8>)> = self
            .headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.as_bytes().to_vec()))
            .collect();
        headers.push(("content-type".to_owned(), b"application/json".to_vec()));
        // A declared length: some APIs refuse chunked bodies.
        headers.push((
            "content-length".to_owned(),
            self.body.len().to_string().into_bytes(),
        ));
        let fields = Fields::from_list(&headers)
            .map_err(|e| CallError::Transport(format!("header refused: {e:?}")))?;
        let request = OutgoingRequest::new(fields);
        let invalid = |()| CallError::InvalidUrl;
        request.set_method(&Method::Post).map_err(invalid)?;
        request.set_scheme(Some(&scheme)).map_err(invalid)?;
        request.set_authority(Some(authority)).map_err(invalid)?;
        request.set_path_with_query(Some(path)).map_err(invalid)?;

        let options = RequestOptions::new();
        // A host may refuse a timeout; the overall timer still holds.
        let _ = options.set_connect_timeout(Some(nanos(self.connect_timeout)));
        let _ = options.set_first_byte_timeout(Some(nanos(self.total_timeout)));
        let _ = options.set_between_bytes_timeout(Some(nanos(self.total_timeout)));

        let body = request
            .body()
            .map_err(|()| CallError::Transport("request body unavailable".to_owned()))?;
        let future = outgoing_handler::handle(request, Some(options)).map_err(error)?;
        write(body, &self.body)?;
        Ok(future)
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

fn error(code: ErrorCode) -> CallError {
    match code {
        ErrorCode::HttpRequestDenied => CallError::Denied,
        ErrorCode::ConnectionTimeout | ErrorCode::ConnectionReadTimeout => CallError::TimedOut,
        other => CallError::Transport(plain_words(&format!("{other:?}"))),
    }
}

/// `ConnectionRefused` → `connection refused`: the error's name without its
/// payload, which may name hosts.
fn plain_words(debug: &str) -> String {
    let name = debug.split(['(', ' ', '{']).next().unwrap_or(debug);
    let mut words = String::new();
    for (index, character) in name.chars().enumerate() {
        if character.is_uppercase() && index > 0 {
            words.push(' ');
        }
        words.extend(character.to_lowercase());
    }
    words
}

fn write(body: OutgoingBody, bytes: &[u8]) -> Result<(), CallError> {
    let failed = |what: &str| CallError::Transport(what.to_owned());
    {
        let stream = body
            .write()
            .map_err(|()| failed("request body unavailable"))?;
        // WASI caps one blocking write at 4096 bytes.
        for chunk in bytes.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|_| failed("request body write failed"))?;
        }
    }
    OutgoingBody::finish(body, None).map_err(error)
}

fn read(response: IncomingResponse) -> Result<Response, CallError> {
    let failed = |what: &str| CallError::Transport(what.to_owned());
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
    let incoming = response
        .consume()
        .map_err(|()| failed("response body unavailable"))?;
    let mut body = Vec::new();
    {
        let stream = incoming
            .stream()
            .map_err(|()| failed("response body unavailable"))?;
        while body.len() < MAX_BODY {
            match stream.blocking_read(16 * 1024) {
                Ok(chunk) => body.extend_from_slice(&chunk),
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(_)) => {
                    return Err(failed("response body read failed"));
                }
            }
        }
    }
    body.truncate(MAX_BODY);
    Ok(Response {
        status,
        headers,
        body,
    })
}
