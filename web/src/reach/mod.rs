//! The one reach rule, and the service every channel asks it through: whether something from
//! one person may reach another (a payment, a request, a message, a reply, a notification, a
//! mail, a digest line, an announcement, a home card). See `rules.rs` for the rule.

pub mod rules;
pub mod service;

pub use rules::{reach, Channel, Facts, ItemState, Reach, Stop};
pub use service::ReachLens;
