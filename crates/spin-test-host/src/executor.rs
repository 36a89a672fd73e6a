//! Running one request in a fresh instance of a component — Spin's
//! `wasi:http/incoming-handler` executor.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context as _, anyhow, bail};
use bytes::Bytes;
use http::uri::{Authority, Scheme};
use http::{Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt as _, Empty};
use wasmtime::{Store, UpdateDeadline};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme as WasiScheme;
use wasmtime_wasi_http::{WasiBody, WasiHttpView as _};

use crate::app::App;
use crate::headers;
use crate::routing::RouteMatch;
use crate::state::HostState;

/// An empty body.
pub fn empty() -> WasiBody {
    Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// An empty response with `status`.
pub fn status(status: StatusCode) -> Response<WasiBody> {
    let mut r = Response::new(empty());
    *r.status_mut() = status;
    r
}

/// Runs `req` in the component `route` names. As in Spin, any failure
/// (trap, no response, bad request headers) is logged and answered with an
/// empty 500; the caller has already checked that the component exists.
pub async fn handle(
    app: &Arc<App>,
    req: Request<WasiBody>,
    route: RouteMatch,
    client_addr: SocketAddr,
) -> Response<WasiBody> {
    match execute(app, req, &route, client_addr).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "Error processing request for component `{}`: {e:#}",
                route.component_id
            );
            status(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

async fn execute(
    app: &Arc<App>,
    mut req: Request<WasiBody>,
    route: &RouteMatch,
    client_addr: SocketAddr,
) -> anyhow::Result<Response<WasiBody>> {
    let component = app
        .components
        .get(&route.component_id)
        .with_context(|| format!("unknown routing destination '{}'", route.component_id))?;
    set_req_uri(&mut req)?;
    let uri = req.uri().clone();
    headers::apply(req.headers_mut(), &uri, route, client_addr)?;

    let mut store = Store::new(
        crate::engine::engine(),
        HostState::new(app.clone(), component)?,
    );
    // Epochs only advance when some instance must be made to trap.
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|cx| {
        let pending = cx
            .data()
            .pending_trap
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        match pending {
            Some(msg) => Err(wasmtime::format_err!("{msg}")),
            None => Ok(UpdateDeadline::Continue(1)),
        }
    });

    let request = store
        .data_mut()
        .http()
        .new_incoming_request(WasiScheme::Http, req)
        .map_err(anyhow::Error::from)?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let outparam = store
        .data_mut()
        .http()
        .new_response_outparam(tx)
        .map_err(anyhow::Error::from)?;

    let pre = component.pre.clone();
    let id = component.id.clone();
    let mut stopping = app.stopping.subscribe();
    let task = tokio::spawn(async move {
        let run = async {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut store, request, outparam)
                .await
        };
        // A guest still running when the app shuts down is dropped, with
        // its store and any outbound request it is waiting on.
        tokio::select! {
            r = run => r,
            _ = stopping.wait_for(|s| *s) => Err(wasmtime::format_err!("the app was shut down")),
        }
    });

    match rx.await {
        Ok(response) => {
            // The guest may keep running (streaming the body, or work after
            // the response) and is left to finish, as in Spin 3.x/4.0; a
            // later failure is only reported. (Newer Spin aborts the guest
            // when the response body is dropped.)
            tokio::spawn(async move {
                match task.await {
                    Err(e) if e.is_cancelled() => {}
                    Err(e) => eprintln!("Component `{id}` panicked after response started: {e}"),
                    Ok(Err(e)) => eprintln!("Component `{id}` error after response started: {e:#}"),
                    Ok(Ok(())) => {}
                }
            });
            let response =
                response.map_err(|code| anyhow!("guest failed to produce a response: {code:?}"))?;
            Ok(response)
        }
        Err(_) => {
            task.await
                .context("guest invocation panicked")?
                .map_err(anyhow::Error::from)
                .context("guest invocation failed")?;
            bail!("guest failed to produce a response prior to returning")
        }
    }
}

/// Gives the request URI the scheme (always `http` here) and authority
/// (from the `Host` header, or the URI for chained requests), failing when
/// both exist and disagree — Spin's `set_req_uri`.
fn set_req_uri(req: &mut Request<WasiBody>) -> anyhow::Result<()> {
    let mut parts = req.uri().clone().into_parts();
    let from_header = req
        .headers()
        .get(http::header::HOST)
        .map(|h| -> anyhow::Result<Authority> {
            let s = h.to_str().context("'Host' header is not valid UTF-8")?;
            s.parse()
                .context("'Host' header contains an invalid authority")
        })
        .transpose()?;
    let authority = match (from_header, parts.authority.take()) {
        (None, None) => bail!("no 'Host' header present in request"),
        (Some(a), None) | (None, Some(a)) => a,
        (Some(a), Some(b)) if a == b => a,
        (Some(_), Some(_)) => bail!("authority in 'Host' header does not match authority in URI"),
    };
    parts.scheme = Some(Scheme::HTTP);
    parts.authority = Some(authority);
    if parts.path_and_query.is_none() {
        parts.path_and_query = Some("/".parse()?);
    }
    *req.uri_mut() = Uri::from_parts(parts)?;
    Ok(())
}
