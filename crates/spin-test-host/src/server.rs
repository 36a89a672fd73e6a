//! The HTTP server: accepts connections on the loopback listener and answers
//! as Spin's HTTP trigger does — the reserved `/.well-known/spin/` paths,
//! an empty 404 when no route matches, otherwise the matched component.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error, WasiBody};

use crate::allowed_hosts::service_chaining_target;
use crate::app::App;
use crate::executor;

/// How long shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Binds the listener, with Spin's wording when the port is taken.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|err| {
        if err.kind() == std::io::ErrorKind::AddrInUse {
            anyhow::anyhow!("{addr} is already in use.")
        } else {
            anyhow::anyhow!("Unable to listen on {addr}: {err:?}")
        }
    })
}

/// Serves `app` on `listener` until `shutdown` turns true, then lets
/// requests in flight finish (for a bounded time).
pub async fn serve(app: Arc<App>, listener: TcpListener, mut shutdown: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(serve_connection(app.clone(), stream, peer, shutdown.clone()));
                }
                Err(e) => eprintln!("Error accepting connection: {e}"),
            },
            _ = shutdown.changed() => break,
        }
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
}

async fn serve_connection(
    app: Arc<App>,
    stream: TcpStream,
    peer: SocketAddr,
    mut shutdown: watch::Receiver<bool>,
) {
    let service = service_fn(move |req| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(handle(&app, req, peer).await) }
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let result = tokio::select! {
        r = conn.as_mut() => r,
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result
        && !e.is_incomplete_message()
    {
        eprintln!("Error serving HTTP connection: {e}");
    }
}

/// Answers one request from a client.
pub async fn handle(
    app: &Arc<App>,
    mut req: Request<Incoming>,
    peer: SocketAddr,
) -> Response<WasiBody> {
    // A client may not pose as a chained request.
    if let Some(host) = req.headers().get(http::header::HOST)
        && let Ok(host) = host.to_str()
        && service_chaining_target(host).is_some()
    {
        req.headers_mut().remove(http::header::HOST);
    }

    let path = req.uri().path().to_string();
    if let Some(well_known) = path.strip_prefix("/.well-known/spin/") {
        return match well_known {
            "health" => Response::new(full("OK")),
            "info" => app_info(app),
            _ => executor::status(StatusCode::NOT_FOUND),
        };
    }
    let Some(route) = app.router.route(&path) else {
        return executor::status(StatusCode::NOT_FOUND);
    };
    let req = req.map(|body| body.map_err(Error::from).boxed_unsync());
    executor::handle(app, req, route, peer).await
}

fn full(body: impl Into<bytes::Bytes>) -> WasiBody {
    Full::new(body.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

#[derive(serde::Serialize)]
struct AppInfo<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
}

fn app_info(app: &App) -> Response<WasiBody> {
    let info = AppInfo {
        name: &app.name,
        version: app.version.as_deref(),
    };
    let body = serde_json::to_vec_pretty(&info).unwrap_or_default();
    let mut r = Response::new(full(body));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}
