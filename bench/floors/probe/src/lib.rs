//! Floor of the health checks. A key-value call cannot be bounded inside
//! the instance making it, so a health check that must answer within 2 s
//! while the store hangs asks a second instance to touch the store, over
//! Spin's in-process service chaining, and waits for it. This component
//! does only that: one chained `GET /floor/read?n=1` to the `kv` floor
//! (one `get`; a health probe writes at most once a second), answering
//! with its status.

use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;

#[http_component]
async fn handle(_request: Request) -> anyhow::Result<impl IntoResponse> {
    let probe: Response =
        spin_sdk::http::send(Request::get("http://kv.spin.internal/floor/read?n=1")).await?;
    Ok(Response::builder()
        .status(*probe.status())
        .header("content-type", "text/plain")
        .body("probed\n")
        .build())
}
