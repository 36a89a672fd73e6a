//! Hello world: the least a spin-sdk 5.2 HTTP component can do (the floor
//! of Spin itself: routing, instantiation, the HTTP round trip).

use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(_request: Request) -> anyhow::Result<impl IntoResponse> {
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body("hello\n")
        .build())
}
