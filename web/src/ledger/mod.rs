//! A circle's money: its home, payments and requests, the ledger, statements, members.

pub mod api;
pub mod routes;
pub mod service;
pub mod views;
