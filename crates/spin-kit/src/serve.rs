//! The request pipeline every component shares: settle the request id, route
//! with spin-sdk's router (answering unknown paths and wrong methods in the
//! contract's shape), turn results into responses, and log one line.

use service_kit::access_log::AccessLog;
use service_kit::request_id::{self, RequestId};
use service_kit::trace_context;
use service_kit::{ApiError, HttpResponse};
use spin_sdk::http::{Method, Params, Request, Response, Router};
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
    /// `service_kit::trace_context`).
    pub trace_id: Option<String>,
}

impl RequestContext {
    /// Logs the cause of an unexpected failure and returns the bland 500
    /// the client sees.
    pub fn internal(&self, cause: impl std::fmt::Display) -> ApiError {
        self.log(
            "unexpected_error",
            serde_json::json!({"cause": cause.to_string()}),
        );
        ApiError::internal()
    }

    /// One JSON line on stderr about this request.
    pub fn log(&self, event: &str, fields: serde_json::Value) {
        crate::log::emit(&service_kit::access_log::event_line(
            self.service.name,
            &self.request_id,
            self.trace_id.as_deref(),
            event,
            fields,
        ));
    }
}

type Handler = Rc<dyn Fn(&RequestContext, Request, Params) -> HandlerResult>;

/// A service's routes on full paths (`/auth/login`). Paths that exist but
/// not for the request's method get `405` with `Allow`; the rest `404`.
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

    /// Serves one request: the component's whole `#[http_component]` body.
    pub fn serve(self, mut request: Request) -> Response {
        let started = Instant::now();
        let request_id = RequestId::from_header(
            request
                .header(request_id::HEADER)
                .and_then(|value| value.as_str()),
        );
        // Handlers read the settled id from the request, like any header.
        request.set_header(request_id::HEADER, request_id.as_str());
        let context = RequestContext {
            service: self.service,
            request_id: request_id.to_string(),
            trace_id: trace_context::trace_id(
                request
                    .header(trace_context::TRACEPARENT)
                    .and_then(|value| value.as_str()),
            ),
        };
        let method = request.method().to_string();
        let path = request.path().to_owned();

        let mut response = self.into_router(&context).handle(request);
        response.set_header(request_id::HEADER, request_id.as_str());

        let line = AccessLog {
            service: context.service.name,
            request_id: request_id.as_str(),
            trace_id: context.trace_id.as_deref(),
            method: &method,
            path: &path,
            status: *response.status(),
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
        .line();
        crate::log::emit(&line);
        response
    }

    fn into_router(self, context: &RequestContext) -> Router {
        let mut router = Router::new();
        let mut methods_by_path: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        for (method, path, handler) in self.routes {
            methods_by_path
                .entry(path)
                .or_default()
                .push(method.to_string());
            let context = context.clone();
            router.add(path, method, move |request: Request, params: Params| {
                into_response(handler(&context, request, params), &context.request_id)
            });
        }
        for (path, methods) in methods_by_path {
            let request_id = context.request_id.clone();
            let allowed: Vec<&str> = methods.iter().map(String::as_str).collect();
            let error = ApiError::method_not_allowed(&allowed);
            router.any(path, move |_: Request, _: Params| {
                into_response(Err(error.clone()), &request_id)
            });
        }
        let request_id = context.request_id.clone();
        router.any("/*", move |_: Request, _: Params| {
            into_response(Err(ApiError::not_found()), &request_id)
        });
        router
    }
}

/// Converts a handler's result into a Spin response.
pub fn into_response(result: HandlerResult, request_id: &str) -> Response {
    let response = match result {
        Ok(response) => response,
        Err(error) => HttpResponse::from_error(&error, request_id),
    };
    let mut builder = Response::builder();
    builder.status(response.status);
    for (name, value) in response.headers {
        builder.header(name, value);
    }
    builder.body(response.body).build()
}
