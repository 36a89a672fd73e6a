//! Outgoing HTTP from a component (`wasi:http/outgoing-handler`), as Spin
//! handles it:
//! - the URL must be allowed by the component's `allowed_outbound_hosts`,
//!   else the guest gets `ErrorCode::HttpRequestDenied`; when the list
//!   could not be resolved every request is denied;
//! - a relative URL (or host `self.alt`) is a request to the app itself and
//!   needs `self` (or `*`) in the list;
//! - the `Host` header is the URL's authority (none for a chained call);
//! - `http://<id>.spin.internal` is service chaining: the request is run
//!   in-process by that component. Spin applies only the between-bytes
//!   timeout to a chained response (not connect or first-byte), and a
//!   chain to a component that is not running traps the caller;
//! - anything else goes to the network, with the request options'
//!   connect, first-byte and between-bytes timeouts, each 600 s when unset.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http::header::HOST;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt as _;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::allowed_hosts::service_chaining_target;
use crate::app::App;
use crate::executor;
use crate::routing::RouteMatch;
use crate::state::PendingTrap;

/// Spin's default for each outbound timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// The address Spin reports as `spin-client-addr` for a chained request.
const CHAINED_CLIENT_ADDR: ([u8; 4], u16) = ([0, 0, 0, 0], 0);

type IoFuture = Box<dyn Future<Output = Result<(), Error>> + Send>;
type SendFuture =
    Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), Error>> + Send>;

/// The `wasi:http` hooks of one component instance.
pub struct OutboundHooks {
    app: Arc<App>,
    component_id: String,
    pending_trap: PendingTrap,
}

impl OutboundHooks {
    pub fn new(app: Arc<App>, component_id: String, pending_trap: PendingTrap) -> Self {
        Self {
            app,
            component_id,
            pending_trap,
        }
    }
}

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> SendFuture {
        let app = self.app.clone();
        let component_id = self.component_id.clone();
        let pending_trap = self.pending_trap.clone();
        Box::new(async move { send(app, component_id, pending_trap, request, options).await })
    }
}

async fn send(
    app: Arc<App>,
    component_id: String,
    pending_trap: PendingTrap,
    mut request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> Result<(http::Response<WasiBody>, IoFuture), Error> {
    let uri = request.uri().clone();
    let host = uri.host().unwrap_or_default().to_string();
    let is_self = host.is_empty() || host == "self.alt";

    let allowed = match &app.components[&component_id].allowed_hosts {
        Ok(hosts) => {
            if is_self {
                hosts.allows_relative(&["http", "https"])
            } else {
                hosts.allows_url(&uri.to_string(), "https")
            }
        }
        Err(e) => {
            eprintln!(
                "error: component `{component_id}`: error parsing allowed outbound hosts: {e}"
            );
            false
        }
    };
    if !allowed {
        let target = if is_self {
            "self".to_string()
        } else {
            uri.to_string()
        };
        eprintln!(
            "Warning: component `{component_id}` tried to make an outbound request to disallowed destination '{target}'.\n\
             To allow it, add it to the component's `allowed_outbound_hosts` in the manifest."
        );
        return Err(Error::HttpRequestDenied);
    }

    if is_self {
        let Some(addr) = app.self_addr.get() else {
            return Err(Error::HttpRequestUriInvalid);
        };
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        *request.uri_mut() = format!("http://{addr}{path}")
            .parse()
            .map_err(|_| Error::HttpRequestUriInvalid)?;
    }
    // Spin drops the guest's `Host` header; its HTTP client then sends one
    // made from the URI, which is what Wasmtime already put there (guests
    // cannot set `Host` themselves). A chained request has none at all.
    if let Some(authority) = request.uri().authority() {
        let host = http::HeaderValue::from_str(authority.as_str())
            .map_err(|_| Error::HttpRequestUriInvalid)?;
        request.headers_mut().insert(HOST, host);
    }

    let between_bytes = options
        .and_then(|o| o.between_bytes_timeout)
        .unwrap_or(DEFAULT_TIMEOUT);

    if let Some(target) = service_chaining_target(&host) {
        if !app.components.contains_key(target) {
            // Spin: "unknown routing destination", returned as a trap.
            *pending_trap.lock().unwrap_or_else(|e| e.into_inner()) = Some(format!(
                "unknown routing destination '{target}': component `{component_id}` made a \
                 service-chaining request to a component that is not running"
            ));
            crate::engine::engine().increment_epoch();
            return Err(Error::InternalError(Some(format!(
                "unknown routing destination '{target}'"
            ))));
        }
        request.headers_mut().remove(HOST);
        let route = RouteMatch::synthetic(target, uri.path());
        let response = executor::handle(&app, request, route, CHAINED_CLIENT_ADDR.into()).await;
        let response = response.map(|b| {
            BetweenBytesTimeout {
                body: b,
                timeout: between_bytes,
                sleep: None,
            }
            .boxed_unsync()
        });
        return Ok((response, Box::new(async { Ok(()) })));
    }

    let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
    Ok((response.map(|b| b.boxed_unsync()), Box::new(io)))
}

/// Fails a body that stalls for longer than `timeout` between frames.
struct BetweenBytesTimeout<B> {
    body: B,
    timeout: Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<B> Body for BetweenBytesTimeout<B>
where
    B: Body<Data = Bytes, Error = Error> + Unpin,
{
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.sleep = None;
                Poll::Ready(frame)
            }
            Poll::Pending => {
                let timeout = this.timeout;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                ready!(sleep.as_mut().poll(cx));
                this.sleep = None;
                Poll::Ready(Some(Err(Error::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
