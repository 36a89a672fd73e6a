//! `wasi:keyvalue@0.2.0-draft2`: `store`, `atomics` and `batch`, with
//! Spin's host behaviour (empty batches return at once; a failed swap hands
//! the guest a fresh CAS that has already read the current value).

use wasmtime::component::{ComponentType, Lift, Linker, Lower, Resource, ResourceType};

use crate::kv::{Cas, Failure, KvError, KvResult, Store, SwapFailure};
use crate::state::HostState;

/// The host side of a `bucket` resource.
pub struct WasiBucket(Store);

/// The host side of a `cas` resource; keeps its bucket's store so a retry
/// can open a new CAS on it.
pub struct WasiCas {
    cas: Cas,
    store: Store,
}

/// `store.error`.
#[derive(ComponentType, Lift, Lower, Clone, Debug)]
#[component(variant)]
enum Error {
    #[component(name = "no-such-store")]
    NoSuchStore,
    #[component(name = "access-denied")]
    AccessDenied,
    #[component(name = "other")]
    Other(String),
}

/// `store.key-response`.
#[derive(ComponentType, Lift, Lower, Clone, Debug)]
#[component(record)]
struct KeyResponse {
    keys: Vec<String>,
    cursor: Option<String>,
}

/// `atomics.cas-error`.
#[derive(ComponentType, Lift, Lower, Debug)]
#[component(variant)]
enum CasError {
    #[component(name = "store-error")]
    StoreError(Error),
    #[component(name = "cas-failed")]
    CasFailed(Resource<WasiCas>),
}

impl From<KvError> for Error {
    /// Spin's `to_wasi_err`.
    fn from(e: KvError) -> Self {
        match e {
            KvError::AccessDenied => Error::AccessDenied,
            KvError::NoSuchStore => Error::NoSuchStore,
            KvError::Other(m) => Error::Other(m),
        }
    }
}

fn guest<T>(r: KvResult<T>) -> wasmtime::Result<Result<T, Error>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(Failure::Guest(e)) => Ok(Err(e.into())),
        Err(Failure::Trap(e)) => Err(wasmtime::Error::from_anyhow(e)),
    }
}

fn bucket(state: &HostState, r: &Resource<WasiBucket>) -> wasmtime::Result<Store> {
    Ok(state.table.get(r)?.0.clone())
}

pub fn add_to_linker(linker: &mut Linker<HostState>) -> anyhow::Result<()> {
    add_store(linker)?;
    add_atomics(linker)?;
    add_batch(linker)
}

fn add_store(linker: &mut Linker<HostState>) -> anyhow::Result<()> {
    let mut inst = linker.instance("wasi:keyvalue/store@0.2.0-draft2")?;
    inst.resource(
        "bucket",
        ResourceType::host::<WasiBucket>(),
        |mut cx, rep| {
            cx.data_mut()
                .table
                .delete(Resource::<WasiBucket>::new_own(rep))?;
            Ok(())
        },
    )?;

    inst.func_wrap_async("open", |mut cx, (identifier,): (String,)| {
        Box::new(async move {
            let state = cx.data_mut();
            let opened = state
                .app
                .stores
                .open(&identifier, &state.component().allowed_stores)
                .await;
            let opened = match guest(opened)? {
                Ok(store) => Ok(state.table.push(WasiBucket(store))?),
                Err(e) => Err(e),
            };
            Ok((opened,))
        })
    })?;

    inst.func_wrap_async(
        "[method]bucket.get",
        |cx, (this, key): (Resource<WasiBucket>, String)| {
            Box::new(async move {
                let store = bucket(cx.data(), &this)?;
                Ok((guest(store.get(&key).await)?,))
            })
        },
    )?;
    inst.func_wrap_async(
        "[method]bucket.set",
        |cx, (this, key, value): (Resource<WasiBucket>, String, Vec<u8>)| {
            Box::new(async move {
                let store = bucket(cx.data(), &this)?;
                Ok((guest(store.set(&key, &value).await)?,))
            })
        },
    )?;
    inst.func_wrap_async(
        "[method]bucket.delete",
        |cx, (this, key): (Resource<WasiBucket>, String)| {
            Box::new(async move {
                let store = bucket(cx.data(), &this)?;
                Ok((guest(store.delete(&key).await)?,))
            })
        },
    )?;
    inst.func_wrap_async(
        "[method]bucket.exists",
        |cx, (this, key): (Resource<WasiBucket>, String)| {
            Box::new(async move {
                let store = bucket(cx.data(), &this)?;
                Ok((guest(store.exists(&key).await)?,))
            })
        },
    )?;
    inst.func_wrap_async(
        "[method]bucket.list-keys",
        |cx, (this, cursor): (Resource<WasiBucket>, Option<String>)| {
            Box::new(async move {
                // Spin lists everything at once and rejects cursors.
                if cursor.is_some() {
                    let e = Error::Other("list_keys: cursor not supported".into());
                    return Ok((Err(e),));
                }
                let store = bucket(cx.data(), &this)?;
                let keys = guest(store.get_keys().await)?;
                Ok((keys.map(|keys| KeyResponse { keys, cursor: None }),))
            })
        },
    )?;
    Ok(())
}

fn add_atomics(linker: &mut Linker<HostState>) -> anyhow::Result<()> {
    let mut inst = linker.instance("wasi:keyvalue/atomics@0.2.0-draft2")?;
    inst.resource("cas", ResourceType::host::<WasiCas>(), |mut cx, rep| {
        cx.data_mut()
            .table
            .delete(Resource::<WasiCas>::new_own(rep))?;
        Ok(())
    })?;

    inst.func_wrap_async(
        "[static]cas.new",
        |mut cx, (this, key): (Resource<WasiBucket>, String)| {
            Box::new(async move {
                let store = bucket(cx.data(), &this)?;
                let made = match guest(store.new_cas(&key).await)? {
                    Ok(cas) => Ok(cx.data_mut().table.push(WasiCas { cas, store })?),
                    Err(e) => Err(e),
                };
                Ok((made,))
            })
        },
    )?;

    inst.func_wrap_async(
        "[method]cas.current",
        |mut cx, (this,): (Resource<WasiCas>,)| {
            Box::new(async move {
                let cas = cx.data_mut().table.get_mut(&this)?;
                Ok((guest(cas.cas.current().await)?,))
            })
        },
    )?;

    inst.func_wrap_async(
        "increment",
        |cx, (this, key, delta): (Resource<WasiBucket>, String, i64)| {
            Box::new(async move {
                let store = bucket(cx.data(), &this)?;
                Ok((guest(store.increment(&key, delta).await)?,))
            })
        },
    )?;

    inst.func_wrap_async(
        "swap",
        |mut cx, (this, value): (Resource<WasiCas>, Vec<u8>)| {
            Box::new(async move {
                let WasiCas { mut cas, store } = cx.data_mut().table.delete(this)?;
                let result = match cas.swap(value).await {
                    Ok(()) => Ok(()),
                    Err(SwapFailure::Trap(e)) => return Err(wasmtime::Error::from_anyhow(e)),
                    Err(SwapFailure::Other(msg)) => Err(CasError::StoreError(Error::Other(msg))),
                    Err(SwapFailure::CasFailed) => {
                        // Spin opens a new CAS on the same key, reads the
                        // current value through it, and returns it.
                        let mut fresh = match guest(store.new_cas(cas.key()).await)? {
                            Ok(c) => c,
                            Err(e) => return Ok((Err(CasError::StoreError(e)),)),
                        };
                        if let Err(e) = guest(fresh.current().await)? {
                            return Ok((Err(CasError::StoreError(e)),));
                        }
                        let res = cx.data_mut().table.push(WasiCas { cas: fresh, store })?;
                        Err(CasError::CasFailed(res))
                    }
                };
                Ok((result,))
            })
        },
    )?;
    Ok(())
}

fn add_batch(linker: &mut Linker<HostState>) -> anyhow::Result<()> {
    let mut inst = linker.instance("wasi:keyvalue/batch@0.2.0-draft2")?;
    inst.func_wrap_async(
        "get-many",
        |cx, (this, keys): (Resource<WasiBucket>, Vec<String>)| {
            Box::new(async move {
                let store = bucket(cx.data(), &this)?;
                if keys.is_empty() {
                    return Ok((Ok(Vec::new()),));
                }
                Ok((guest(store.get_many(keys).await)?,))
            })
        },
    )?;
    inst.func_wrap_async(
        "set-many",
        |cx, (this, key_values): (Resource<WasiBucket>, Vec<(String, Vec<u8>)>)| {
            Box::new(async move {
                let store = bucket(cx.data(), &this)?;
                if key_values.is_empty() {
                    return Ok((Ok(()),));
                }
                Ok((guest(store.set_many(key_values).await)?,))
            })
        },
    )?;
    inst.func_wrap_async(
        "delete-many",
        |cx, (this, keys): (Resource<WasiBucket>, Vec<String>)| {
            Box::new(async move {
                let store = bucket(cx.data(), &this)?;
                if keys.is_empty() {
                    return Ok((Ok(()),));
                }
                Ok((guest(store.delete_many(keys).await)?,))
            })
        },
    )?;
    Ok(())
}
