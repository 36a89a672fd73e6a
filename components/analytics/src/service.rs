//! The analytics service built from Spin's parts (its key-value store, the
//! wall clock, a pause that blocks on a WASI clock, the `client_actions`
//! variable), and the caller in the domain's terms.

use analytics_domain::{Analytics, ClientActions, Sender};
use domain_core::SystemClock;
use spin_edge::pause::MonotonicPause;
use spin_edge::{ApiError, Caller, SpinStore, config};

/// The key-value store label, as declared in spin.toml.
pub const STORE: &str = "analytics";

type Service = Analytics<SpinStore, SystemClock, MonotonicPause>;

/// The service over the analytics store.
pub fn analytics() -> Result<Service, ApiError> {
    Ok(Analytics::new(
        SpinStore::open(STORE)?,
        SystemClock,
        MonotonicPause,
    ))
}

/// The service as `sender` may use it: a user records only the actions the
/// operator's `client_actions` lists, when it lists some.
pub fn analytics_for(sender: &Sender) -> Result<Service, ApiError> {
    let analytics = analytics()?;
    Ok(match sender {
        Sender::Service => analytics,
        Sender::User(_) => {
            let list = config::variable("client_actions")?.unwrap_or_default();
            analytics.with_client_actions(ClientActions::parse(&list)?)
        }
    })
}

/// Who sends an event, as analytics' rules see the caller.
pub fn sender(caller: Caller) -> Sender {
    match caller {
        Caller::Internal => Sender::Service,
        Caller::User(user_id) => Sender::User(user_id),
    }
}
