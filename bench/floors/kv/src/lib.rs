//! Floors of the store-bound endpoints, through the same `wasi:keyvalue`
//! bindings the app uses (spin-sdk's raw `store`, `atomics` and `batch`):
//!
//! - `GET /floor/read?n=N&batch=K,L`: N plain `get`s, one after the other
//!   (default 1), then one `get-many` of K keys, one of L, and so on (none
//!   by default), of keys written by `/floor/seed`: what a read endpoint
//!   making the same store calls cannot beat.
//! - `POST /floor/incr3`: three atomic increments, the first on a key never
//!   used before: the write floor of one exact, idempotent event (the
//!   event-id claim, the action's count, the user's count).
//! - `POST /floor/append`: one atomic increment, then one batch write of two
//!   new keys: the store work of a notification (number it in the user's
//!   sequence, write the record and the user's ring slot in one `set-many`).
//! - `POST /floor/seed?n=N`: writes the N keys `/floor/read` reads (setup,
//!   not measured).

use std::hash::{BuildHasher, Hasher};

use bench_floor_keys::{MAX_READS, STORE, read_key};
use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store};

/// About the size of the app's token and user records.
const VALUE_BYTES: usize = 200;

#[http_component]
fn handle(request: Request) -> anyhow::Result<impl IntoResponse> {
    let n = count(request.query());
    let bucket = store::open(STORE).map_err(|e| anyhow::anyhow!("open {STORE}: {e:?}"))?;
    let answer = match (request.method(), request.path()) {
        (Method::Get, "/floor/read") => {
            let mut found = 0;
            for i in 0..n {
                let value = bucket
                    .get(&read_key(i))
                    .map_err(|e| anyhow::anyhow!("get: {e:?}"))?;
                found += usize::from(value.is_some());
            }
            for size in batch_sizes(request.query()) {
                let keys: Vec<String> = (0..size).map(read_key).collect();
                let values = batch::get_many(&bucket, &keys)
                    .map_err(|e| anyhow::anyhow!("get-many: {e:?}"))?;
                found += values.iter().filter(|(_, value)| value.is_some()).count();
            }
            format!("read {n} keys and the batches, {found} found\n")
        }
        (Method::Post, "/floor/incr3") => {
            let claim = format!("floor:claim:{:016x}", unique());
            for key in [claim.as_str(), "floor:count:action", "floor:count:user"] {
                atomics::increment(&bucket, key, 1)
                    .map_err(|e| anyhow::anyhow!("increment: {e:?}"))?;
            }
            "incremented 3 keys\n".to_owned()
        }
        (Method::Post, "/floor/append") => {
            let seq = atomics::increment(&bucket, "floor:append:seq", 1)
                .map_err(|e| anyhow::anyhow!("increment: {e:?}"))?;
            let id = unique();
            let entries = vec![
                (
                    format!("floor:record:{id:016x}"),
                    vec![b'x'; 3 * VALUE_BYTES / 2],
                ),
                (
                    format!("floor:slot:{}", seq % 100),
                    vec![b'x'; VALUE_BYTES / 4],
                ),
            ];
            batch::set_many(&bucket, &entries).map_err(|e| anyhow::anyhow!("set-many: {e:?}"))?;
            "appended\n".to_owned()
        }
        (Method::Post, "/floor/seed") => {
            for i in 0..n {
                bucket
                    .set(&read_key(i), &[b'x'; VALUE_BYTES])
                    .map_err(|e| anyhow::anyhow!("set: {e:?}"))?;
            }
            format!("seeded {n} keys\n")
        }
        _ => return Ok(Response::new(404, "no such floor\n")),
    };
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body(answer)
        .build())
}

/// `n=` from the query string, 1 when absent, at most [`MAX_READS`].
fn count(query: &str) -> usize {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("n="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
        .clamp(1, MAX_READS)
}

/// `batch=K,L,…` from the query string: the key count of each `get-many`,
/// each at most [`MAX_READS`]; none when absent.
fn batch_sizes(query: &str) -> Vec<usize> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("batch="))
        .map(|sizes| {
            sizes
                .split(',')
                .filter_map(|size| size.parse::<usize>().ok())
                .map(|size| size.clamp(1, MAX_READS))
                .collect()
        })
        .unwrap_or_default()
}

/// A number no other request gets (in practice): std seeds its hash keys from
/// WASI's random source once per instance, and Spin makes an instance per
/// request. Saves a dependency on a random crate for a benchmark key.
fn unique() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0);
    hasher.finish()
}
