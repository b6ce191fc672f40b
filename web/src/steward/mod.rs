//! What a circle's stewards do: accounts and limits, admission, settings, audit, recovery.

pub mod routes;
pub mod service;
pub mod views;
