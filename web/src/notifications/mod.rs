//! A member's notifications (of deals, matches, events, proposals, recoveries): the page, the
//! unread count, and which kinds they want.

pub mod routes;
pub mod service;
pub mod views;

pub use service::*;
