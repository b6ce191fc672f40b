//! A person's account on the node: logging in, settings, tokens, recovery.

pub mod routes;
pub mod service;
pub mod views;
