//! What the docs browser test needs: the app running under real `spin up`,
//! chromedriver, and a headless Chromium session with a page-error hook.

mod app;
mod browser;
mod commands;

pub use app::{App, repo_root};
pub use browser::{Browser, PATIENCE, wait_until};
