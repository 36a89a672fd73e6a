//! The analytics actions the auth service emits about accounts. They are
//! kept in this one list so that the service that sends them and the service
//! that reserves them (analytics records them only from the internal key)
//! cannot drift apart: a new action auth emits belongs here.

pub const REGISTER: &str = "register";
pub const LOGIN: &str = "login";
pub const LOGIN_FAILED: &str = "login_failed";
pub const LOGOUT: &str = "logout";

/// Every action above: reserved for the system.
pub const ALL: [&str; 4] = [REGISTER, LOGIN, LOGIN_FAILED, LOGOUT];

/// Whether `action` is one of the system's own actions.
pub fn is_system_action(action: &str) -> bool {
    ALL.contains(&action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_actions_are_system_actions_and_others_are_not() {
        for action in ["register", "login", "login_failed", "logout"] {
            assert!(is_system_action(action), "{action}");
        }
        for action in ["page.view", "Login", "login.failed", ""] {
            assert!(!is_system_action(action), "{action}");
        }
    }
}
