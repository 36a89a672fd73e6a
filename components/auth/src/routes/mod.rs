pub mod outbox;
pub mod tokens;
pub mod users;
