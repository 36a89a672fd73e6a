//! Work a handler leaves for after its response is sent. Spin keeps the
//! instance running until the handler returns, so a component whose entry
//! point takes the response outparam can send the response first and then
//! run what handlers deferred (deliveries of side effects that are already
//! stored): the client does not wait for them.
//!
//! ```ignore
//! #[spin_sdk::http_component]
//! async fn handle(request: Request, response_out: ResponseOutparam) {
//!     let response = routes().serve(request);
//!     spin_kit::after_response::respond_then_run(response_out, response).await;
//! }
//! ```

use spin_sdk::http::{OutgoingResponse, Response, ResponseOutparam};
use std::cell::RefCell;

type Task = Box<dyn FnOnce()>;

thread_local! {
    // One request per instance, so one queue per request.
    static LATER: RefCell<Vec<Task>> = const { RefCell::new(Vec::new()) };
}

/// Runs `task` once the response has been sent (or at once, in order, by
/// [`run_deferred`]).
pub fn defer(task: impl FnOnce() + 'static) {
    LATER.with(|later| later.borrow_mut().push(Box::new(task)));
}

/// Runs every deferred task, in the order deferred.
pub fn run_deferred() {
    loop {
        let tasks: Vec<Task> = LATER.with(|later| later.borrow_mut().drain(..).collect());
        if tasks.is_empty() {
            break;
        }
        for task in tasks {
            task();
        }
    }
}

/// Sends `response` in full, then runs what handlers deferred.
pub async fn respond_then_run(response_out: ResponseOutparam, mut response: Response) {
    let body = std::mem::take(response.body_mut());
    match OutgoingResponse::try_from(response) {
        Ok(outgoing) => {
            // Returns once the body is written and finished: the client has
            // its whole answer.
            if let Err(error) = response_out.set_with_body(outgoing, body).await {
                eprintln!("{}", failure_line(&format!("{error:?}")));
            }
        }
        Err(error) => eprintln!("{}", failure_line(&error.to_string())),
    }
    run_deferred();
}

fn failure_line(cause: &str) -> String {
    serde_json::json!({"event": "response_not_sent", "cause": cause}).to_string()
}
