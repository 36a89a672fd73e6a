//! `fermyon:spin/key-value@2.0.0` (what `spin_sdk::key_value::Store` uses).

use wasmtime::component::{ComponentType, Lift, Linker, Lower, Resource, ResourceType};

use crate::kv::{Failure, KvError, KvResult, Store};
use crate::state::HostState;

/// The host side of a `store` resource.
pub struct SpinKvStore(Store);

/// The WIT `error` variant.
#[derive(ComponentType, Lift, Lower, Clone, Debug)]
#[component(variant)]
enum Error {
    #[component(name = "store-table-full")]
    StoreTableFull,
    #[component(name = "no-such-store")]
    NoSuchStore,
    #[component(name = "access-denied")]
    AccessDenied,
    #[component(name = "other")]
    Other(String),
}

impl From<KvError> for Error {
    fn from(e: KvError) -> Self {
        match e {
            KvError::NoSuchStore => Error::NoSuchStore,
            KvError::AccessDenied => Error::AccessDenied,
            KvError::Other(m) => Error::Other(m),
        }
    }
}

/// Splits a store result into the guest's `result<T, error>` and a trap.
fn guest<T>(r: KvResult<T>) -> wasmtime::Result<Result<T, Error>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(Failure::Guest(e)) => Ok(Err(e.into())),
        Err(Failure::Trap(e)) => Err(wasmtime::Error::from_anyhow(e)),
    }
}

fn store_of(state: &HostState, r: &Resource<SpinKvStore>) -> wasmtime::Result<Store> {
    Ok(state.table.get(r)?.0.clone())
}

pub fn add_to_linker(linker: &mut Linker<HostState>) -> anyhow::Result<()> {
    let mut inst = linker.instance("fermyon:spin/key-value@2.0.0")?;
    inst.resource(
        "store",
        ResourceType::host::<SpinKvStore>(),
        |mut cx, rep| {
            cx.data_mut()
                .table
                .delete(Resource::<SpinKvStore>::new_own(rep))?;
            Ok(())
        },
    )?;

    inst.func_wrap_async("[static]store.open", |mut cx, (label,): (String,)| {
        Box::new(async move {
            let state = cx.data_mut();
            let opened = state
                .app
                .stores
                .open(&label, &state.component().allowed_stores)
                .await;
            let opened = match guest(opened)? {
                Ok(store) => Ok(state.table.push(SpinKvStore(store))?),
                Err(e) => Err(e),
            };
            Ok((opened,))
        })
    })?;

    inst.func_wrap_async(
        "[method]store.get",
        |cx, (this, key): (Resource<SpinKvStore>, String)| {
            Box::new(async move {
                let store = store_of(cx.data(), &this)?;
                Ok((guest(store.get(&key).await)?,))
            })
        },
    )?;

    inst.func_wrap_async(
        "[method]store.set",
        |cx, (this, key, value): (Resource<SpinKvStore>, String, Vec<u8>)| {
            Box::new(async move {
                let store = store_of(cx.data(), &this)?;
                Ok((guest(store.set(&key, &value).await)?,))
            })
        },
    )?;

    inst.func_wrap_async(
        "[method]store.delete",
        |cx, (this, key): (Resource<SpinKvStore>, String)| {
            Box::new(async move {
                let store = store_of(cx.data(), &this)?;
                Ok((guest(store.delete(&key).await)?,))
            })
        },
    )?;

    inst.func_wrap_async(
        "[method]store.exists",
        |cx, (this, key): (Resource<SpinKvStore>, String)| {
            Box::new(async move {
                let store = store_of(cx.data(), &this)?;
                Ok((guest(store.exists(&key).await)?,))
            })
        },
    )?;

    inst.func_wrap_async(
        "[method]store.get-keys",
        |cx, (this,): (Resource<SpinKvStore>,)| {
            Box::new(async move {
                let store = store_of(cx.data(), &this)?;
                Ok((guest(store.get_keys().await)?,))
            })
        },
    )?;
    Ok(())
}
