//! The request pipeline every component shares: settle the request id, read
//! the body within the 64 KiB limit (refusing larger ones before buffering
//! them), route with spin-sdk's router (answering unknown paths and wrong
//! methods in the contract's shape, and a body that is not JSON with `415`
//! whether the operation reads it or not), send the response, log one line, then
//! run the work handlers deferred until after the response
//! ([`RequestContext::after_response`]).

use crate::access_log::{self, AccessLog};
use crate::body::{self, BodyError, MAX_BODY_BYTES};
use crate::credentials;
use crate::error::ApiError;
use crate::json_body::require_json_media_type_if_any;
use crate::request_id::{self, RequestId};
use crate::respond;
use crate::response::HttpResponse;
use crate::trace_context;
use spin_sdk::http::{
    IncomingRequest, Method, Params, Request, Response, ResponseOutparam, Router,
};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Instant;

/// What a handler returns.
pub type HandlerResult = Result<HttpResponse, ApiError>;

/// A service's name and version, as its health report and logs show them.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    pub name: &'static str,
    pub version: &'static str,
}

/// Per-request facts a handler needs besides the request itself.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub service: Service,
    pub request_id: String,
    /// From the inbound `traceparent`, when there is one (see
    /// [`trace_context`]).
    pub trace_id: Option<String>,
}

type Deferred = Box<dyn FnOnce()>;

thread_local! {
    /// Work queued by [`RequestContext::after_response`]. Spin runs each
    /// request in a fresh instance on one thread, so this queue belongs to
    /// the one request being served.
    static DEFERRED: RefCell<Vec<Deferred>> = RefCell::new(Vec::new());
}

impl RequestContext {
    /// Queues `work` to run after the response has been sent: the client
    /// has its whole answer (status, headers and body, the body finished)
    /// while `work` runs, so slow side effects (calls to peers, sweeps)
    /// never delay it. Work runs in the order queued, whatever the status
    /// of the response, in the same instance (stores and outbound calls
    /// work as usual); nothing it does can change the response any more,
    /// so it must record its own failures (log them, keep them in a store).
    /// Spin keeps the instance alive until the work returns, so bound it
    /// (outbound calls here are).
    pub fn after_response(&self, work: impl FnOnce() + 'static) {
        DEFERRED.with(|queue| queue.borrow_mut().push(Box::new(work)));
    }

    /// Runs and forgets the queued work, oldest first. Work may queue more.
    fn run_deferred(&self) {
        while let Some(next) = DEFERRED.with(|queue| {
            let mut queue = queue.borrow_mut();
            (!queue.is_empty()).then(|| queue.remove(0))
        }) {
            next();
        }
    }

    /// One JSON line on stderr about this request.
    pub fn log(&self, event: &str, fields: serde_json::Value) {
        crate::log::emit(&access_log::event_line(
            self.service.name,
            &self.request_id,
            self.trace_id.as_deref(),
            event,
            fields,
        ));
    }
}

type Handler = Rc<dyn Fn(&RequestContext, Request, Params) -> HandlerResult>;

/// A service's routes on full paths (`/auth/login`). A HEAD is answered
/// by the GET route (Spin's HTTP server sends its head only). Paths that
/// exist but not for the request's method get `405` with `Allow`; the rest
/// `404`.
pub struct Routes {
    service: Service,
    routes: Vec<(Method, &'static str, Handler)>,
}

impl Routes {
    pub fn new(service: Service) -> Self {
        Self {
            service,
            routes: Vec::new(),
        }
    }

    pub fn get(
        self,
        path: &'static str,
        handler: impl Fn(&RequestContext, Request, Params) -> HandlerResult + 'static,
    ) -> Self {
        self.route(Method::Get, path, handler)
    }

    /// Adds `GET /<service>/health` and its store probe
    /// `GET /<service>/health/kv` over the store labelled `store` (see
    /// [`crate::health`]); [`crate::openapi::document_health`] documents them.
    pub fn with_health(self, store: &'static str) -> Self {
        let name = self.service.name;
        self.get(leak(crate::health::health_path(name)), |context, _, _| {
            crate::health::health(context)
        })
        .get(
            leak(crate::health::probe_path(name)),
            move |context, request, _| crate::health::probe(context, &request, store),
        )
    }

    pub fn post(
        self,
        path: &'static str,
        handler: impl Fn(&RequestContext, Request, Params) -> HandlerResult + 'static,
    ) -> Self {
        self.route(Method::Post, path, handler)
    }

    fn route(
        mut self,
        method: Method,
        path: &'static str,
        handler: impl Fn(&RequestContext, Request, Params) -> HandlerResult + 'static,
    ) -> Self {
        self.routes.push((method, path, Rc::new(handler)));
        self
    }

    /// Serves one request: the component's whole `#[http_component]` body
    /// (`fn handle(request: IncomingRequest, response: ResponseOutparam)`).
    pub fn serve(self, incoming: IncomingRequest, outparam: ResponseOutparam) {
        let started = Instant::now();
        let headers = credentials::without_ambiguous(incoming.headers().entries());
        let request_id = RequestId::from_header(header(&headers, request_id::HEADER));
        let context = RequestContext {
            service: self.service,
            request_id: request_id.to_string(),
            trace_id: trace_context::trace_id(header(&headers, trace_context::TRACEPARENT)),
        };
        let method = incoming.method();
        // The path and query are all that routing and handlers read; the
        // scheme and authority would be two more host calls.
        let path_with_query = incoming.path_with_query().unwrap_or_default();
        let path = path_with_query
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        let mut response = match read_body(&incoming, &method, &headers) {
            Ok(bytes) => {
                let mut request = Request::builder()
                    .method(method.clone())
                    .uri(path_with_query)
                    .headers(headers)
                    .body(bytes)
                    .build();
                // Handlers read the settled id from the request, like any header.
                request.set_header(request_id::HEADER, request_id.as_str());
                self.into_router(&method, &context).handle(request)
            }
            Err(error) => into_response(Err(refused_body(error, &context)), &context),
        };
        response.set_header(request_id::HEADER, request_id.as_str());
        let status = *response.status();
        if let Err(cause) = respond::send(response, outparam) {
            context.log("response_not_sent", serde_json::json!({"cause": cause}));
        }

        let line = AccessLog {
            service: context.service.name,
            request_id: request_id.as_str(),
            trace_id: context.trace_id.as_deref(),
            method: &method.to_string(),
            path: &path,
            status,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
        .line();
        crate::log::emit(&line);
        context.run_deferred();
    }

    /// A router with the routes of `method` only (a HEAD takes the GET
    /// routes: HTTP asks for HEAD wherever GET is served): the router is
    /// built for every request, and each route it holds costs time to add
    /// and to match. A request none of them takes goes to [`unrouted`].
    fn into_router(self, method: &Method, context: &RequestContext) -> Router {
        let serving = match method {
            Method::Head => Method::Get,
            other => other.clone(),
        };
        let mut router = Router::new();
        let mut elsewhere = Vec::new();
        for (route_method, path, handler) in self.routes {
            if route_method != serving {
                elsewhere.push((route_method, path));
                continue;
            }
            let context = context.clone();
            router.add(
                path,
                method.clone(),
                move |request: Request, params: Params| {
                    // The contract's media rule holds for every body, read
                    // or not; the operations that read one check it again
                    // in its place among their checks.
                    let content_type = request.header("content-type").and_then(|v| v.as_str());
                    let result = require_json_media_type_if_any(content_type, request.body())
                        .and_then(|()| handler(&context, request, params));
                    into_response(result, &context)
                },
            );
        }
        let context = context.clone();
        router.any_async("/*", move |request: Request, _: Params| {
            let unrouted = unrouted(elsewhere.clone(), &context);
            async move { unrouted.handle_async(request).await }
        });
        router
    }
}

/// The router for a request no route of its method takes: `405` with
/// `Allow` on the paths other methods serve, `404` on the rest.
fn unrouted(elsewhere: Vec<(Method, &'static str)>, context: &RequestContext) -> Router {
    let mut methods_by_path: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for (method, path) in elsewhere {
        let methods = methods_by_path.entry(path).or_default();
        methods.push(method.to_string());
        if method == Method::Get {
            methods.push(Method::Head.to_string());
        }
    }
    let mut router = Router::new();
    for (path, methods) in methods_by_path {
        let context = context.clone();
        let allowed: Vec<&str> = methods.iter().map(String::as_str).collect();
        let error = ApiError::method_not_allowed(&allowed);
        router.any(path, move |_: Request, _: Params| {
            into_response(Err(error.clone()), &context)
        });
    }
    let context = context.clone();
    router.any("/*", move |_: Request, _: Params| {
        into_response(Err(ApiError::not_found()), &context)
    });
    router
}

/// Paths are `&'static str` for the router; the two health paths are made
/// once per instance, which serves one request.
fn leak(path: String) -> &'static str {
    Box::leak(path.into_boxed_str())
}

/// Converts a handler's result into a Spin response; the cause of an
/// unexpected failure goes to the log here, the one place every error passes.
fn into_response(result: HandlerResult, context: &RequestContext) -> Response {
    let response = match result {
        Ok(response) => response,
        Err(error) => {
            if let Some(cause) = error.cause() {
                context.log("unexpected_error", serde_json::json!({"cause": cause}));
            }
            HttpResponse::from_error(&error, &context.request_id)
        }
    };
    let mut builder = Response::builder();
    builder.status(response.status);
    for (name, value) in response.headers {
        builder.header(name, value);
    }
    builder.body(response.body).build()
}

/// The value of the first header named `name` (any case), if it is text.
fn header<'a>(headers: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(header, _)| header.eq_ignore_ascii_case(name))
        .and_then(|(_, value)| std::str::from_utf8(value).ok())
}

/// The request's body, within [`MAX_BODY_BYTES`]. A GET or HEAD that
/// declares no body has none in HTTP/1.1: reading it would be host calls
/// that return nothing. HTTP/2 needs neither length header for a body, so a
/// type declared counts too; a body sent over HTTP/2 with no header about
/// it at all goes unread.
fn read_body(
    incoming: &IncomingRequest,
    method: &Method,
    headers: &[(String, Vec<u8>)],
) -> Result<Vec<u8>, BodyError> {
    let declares_a_body = |name: &String| {
        ["content-length", "transfer-encoding", "content-type"]
            .iter()
            .any(|declared| name.eq_ignore_ascii_case(declared))
    };
    let bodiless = matches!(method, Method::Get | Method::Head)
        && !headers.iter().any(|(name, _)| declares_a_body(name));
    if bodiless {
        return Ok(Vec::new());
    }
    body::read_capped(incoming, MAX_BODY_BYTES)
}

/// The contract's answer to a body that could not be taken in.
fn refused_body(error: BodyError, context: &RequestContext) -> ApiError {
    match error {
        BodyError::TooLarge => ApiError::payload_too_large(MAX_BODY_BYTES),
        BodyError::TooSlow => ApiError::request_timeout(body::BODY_WAIT),
        BodyError::Unreadable(cause) => {
            context.log(
                "request_body_unreadable",
                serde_json::json!({"cause": cause}),
            );
            ApiError::new(
                400,
                "unreadable_body",
                "The request body could not be read.",
            )
        }
    }
}
