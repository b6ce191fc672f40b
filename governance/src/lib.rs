//! Governance of a credit circle: proposals, signed ballots, the decision methods, delegation,
//! and the recount that anyone can run from the ballots alone.
//!
//! Everything here is pure (no database, clock or network) except `store`.

pub mod audit;
pub mod ballot;
pub mod blt;
pub mod cardinal;
pub mod delegation;
pub mod export;
pub mod irv;
pub mod majority;
pub mod moderation;
pub mod policy;
pub mod proposal;
pub mod ranked;
pub mod schulze;
pub mod store;
pub mod stv;
pub mod summary;
pub mod tally;
