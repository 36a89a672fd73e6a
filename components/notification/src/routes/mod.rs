pub mod notifications;
pub mod user_notifications;
