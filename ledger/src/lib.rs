//! The signed mutual-credit ledger of a credit circle: its format, rules, proofs, audit and store.
//!
//! The pure core (`amount`, `keys`, `codec`, `entry`, `merkle`, `state`, `audit`, `export`) does no
//! IO; `store` is the only module that touches a database.

pub mod amount;
pub mod audit;
pub mod authority;
pub mod codec;
pub mod crossing;
pub mod entry;
pub mod export;
pub mod faults;
pub mod keys;
pub mod link;
pub mod link_audit;
pub mod memory;
pub mod merkle;
pub mod relay;
pub mod signed;
pub mod slug;
pub mod state;
pub mod statement;
pub mod store;
pub mod title;
