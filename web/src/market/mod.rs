//! The market: offers, needs and events (listings with photos and RSVPs), their matches, and
//! deals between two members ending in a ledger payment. `service` holds what members can do
//! (over `commons_market`'s store, index and matching), `routes` the pages, `api` the JSON API,
//! `views` the markup.

pub mod api;
pub mod deals;
pub mod routes;
pub mod service;
pub mod views;

pub use deals::*;
pub use service::*;
