//! `fermyon:spin/variables@2.0.0`.

use wasmtime::component::{ComponentType, Lift, Linker, Lower};

use crate::state::HostState;
use crate::variables::VariableError;

/// The WIT `error` variant.
#[derive(ComponentType, Lift, Lower, Clone, Debug)]
#[component(variant)]
enum Error {
    #[component(name = "invalid-name")]
    InvalidName(String),
    #[component(name = "undefined")]
    Undefined(String),
    #[component(name = "provider")]
    Provider(String),
    #[component(name = "other")]
    Other(String),
}

impl From<VariableError> for Error {
    /// Spin's mapping from `spin_expressions::Error`.
    fn from(e: VariableError) -> Self {
        match e {
            VariableError::InvalidName(m) => Error::InvalidName(m),
            VariableError::Undefined(m) => Error::Undefined(m),
            VariableError::Provider(m) => Error::Provider(m),
            e @ VariableError::InvalidTemplate(_) => Error::Other(e.to_string()),
        }
    }
}

pub fn add_to_linker(linker: &mut Linker<HostState>) -> anyhow::Result<()> {
    let mut inst = linker.instance("fermyon:spin/variables@2.0.0")?;
    inst.func_wrap("get", |store, (name,): (String,)| {
        let state: &HostState = store.data();
        let value = state
            .app
            .variables
            .get(&state.component_id, &name)
            .map_err(Error::from);
        Ok((value,))
    })?;
    Ok(())
}
