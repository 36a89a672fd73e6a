//! The notification service's routes, on full paths.

mod docs;
mod health;
mod notification;
mod notify;
mod user_notifications;

use spin_edge::Routes;

pub fn routes() -> Routes {
    Routes::new(crate::SERVICE)
        .get("/notification/health", health::health)
        .get("/notification/health/kv", health::probe)
        .get("/notification/openapi.json", docs::openapi)
        .post("/notification/notify", notify::notify)
        .get(
            "/notification/notifications/:notification_id",
            notification::notification,
        )
        .get(
            "/notification/users/:user_id/notifications",
            user_notifications::user_notifications,
        )
}
