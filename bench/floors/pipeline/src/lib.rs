//! `GET /floor/pipeline?n=N&batch=K,L`: the store calls of the `kv` floor's
//! `/floor/read` (N `get`s, then a `get-many` of K keys, one of L), made
//! through the app's own pipeline (`spin_edge::Routes`: the request id and
//! trace context, routing with the contract's 404 and 405, the JSON answer,
//! the access log line) and its store adapter (`SpinStore`).
//!
//! It is not a goal's floor: a read endpoint's goal is stated against
//! `/floor/read`. It shows how much of what remains between an endpoint and
//! that floor is the contract's pipeline, which every endpoint pays, and
//! how much is the endpoint's own work.

use bench_floor_keys::{MAX_READS, STORE, read_key};
use domain_core::KeyValueStore;
use spin_edge::serve::{HandlerResult, RequestContext};
use spin_edge::{ApiError, HttpResponse, Routes, Service, SpinStore, params};
use spin_sdk::http::{IncomingRequest, Params, Request, ResponseOutparam};

const SERVICE: Service = Service {
    name: "floor",
    version: env!("CARGO_PKG_VERSION"),
};

#[spin_sdk::http_component]
fn handle(request: IncomingRequest, response: ResponseOutparam) {
    Routes::new(SERVICE)
        .get("/floor/pipeline", read)
        .serve(request, response)
}

fn read(_: &RequestContext, request: Request, _: Params) -> HandlerResult {
    let gets = params::query(&request, "n", |n| parse_count(&n))?.unwrap_or(1);
    let batches = params::query(&request, "batch", |sizes| {
        sizes
            .split(',')
            .map(parse_count)
            .collect::<Result<Vec<_>, _>>()
    })?
    .unwrap_or_default();
    let store = SpinStore::open(STORE).map_err(ApiError::unexpected)?;
    let mut found = 0;
    for i in 0..gets {
        found += usize::from(
            store
                .get(&read_key(i))
                .map_err(ApiError::unexpected)?
                .is_some(),
        );
    }
    for size in batches {
        let keys: Vec<String> = (0..size).map(read_key).collect();
        let values = store.get_many(&keys).map_err(ApiError::unexpected)?;
        found += values.iter().filter(|value| value.is_some()).count();
    }
    Ok(HttpResponse::json(
        200,
        &serde_json::json!({ "found": found }),
    ))
}

fn parse_count(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(count @ 1..=MAX_READS) => Ok(count),
        _ => Err(format!("must be a whole number from 1 to {MAX_READS}")),
    }
}
