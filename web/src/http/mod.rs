//! The edge of the web space, knowing no feature: the error models of pages (`error`) and of
//! the API (`api`), and who is asking (`session`: cookies, tokens, CSRF, language, flash).

pub mod api;
pub mod bots;
pub mod error;
pub mod extract;
pub mod page;
pub mod session;
pub mod upload;
