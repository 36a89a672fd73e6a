//! The channels component: the email and SMS providers (component
//! dependencies in spin.toml) behind a private route. Only the notification
//! component calls it, over a chained call, so a provider runs in an
//! instance of its own with only the channel settings: never the
//! notification store or the internal key, and a provider that traps fails
//! one attempt, not the notification request.
//!
//! `GET /{channel}/readiness` answers a `Readiness`, `POST /{channel}/send`
//! takes a `ProviderMessage` and answers an `Attempt` (notification-domain's
//! JSON shapes), both `200`; an unknown channel is `404`.

mod providers;

use notification_domain::ProviderMessage;
use providers::Imported;
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_edge::{ApiError, HttpResponse, Routes, Service};
use spin_sdk::http::{IncomingRequest, Params, Request, ResponseOutparam};

const SERVICE: Service = Service {
    name: "channels",
    version: env!("CARGO_PKG_VERSION"),
};

#[spin_sdk::http_component]
fn handle(request: IncomingRequest, response: ResponseOutparam) {
    Routes::new(SERVICE)
        .get("/:channel/readiness", readiness)
        .post("/:channel/send", send)
        .serve(request, response)
}

fn readiness(_: &RequestContext, _: Request, params: Params) -> HandlerResult {
    let provider = provider(&params)?;
    Ok(HttpResponse::json(200, &provider.readiness().shortened()))
}

fn send(_: &RequestContext, request: Request, params: Params) -> HandlerResult {
    let provider = provider(&params)?;
    let message: ProviderMessage =
        serde_json::from_slice(request.body()).map_err(ApiError::invalid_json)?;
    // Cut here, before it travels: an answer too long for the notification
    // component to read would be taken for no answer, and sent again.
    Ok(HttpResponse::json(200, &provider.send(message).shortened()))
}

fn provider(params: &Params) -> Result<Imported, ApiError> {
    params
        .get("channel")
        .and_then(Imported::named)
        .ok_or_else(ApiError::not_found)
}
