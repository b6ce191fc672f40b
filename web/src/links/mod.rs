//! Linked circles: the circles a circle trades with (on this node, for now), their terms as
//! the ledger keeps them, and payments across (through `commons_ledger::store::exchange`).
//! `service` holds what members and proposals need; the pay page and the proposal form use it.

pub mod service;

pub use service::*;
