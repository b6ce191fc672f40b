//! Decisions: proposals, their discussion, pauses and voting rounds, ballots (signed by the node
//! with a member's sealed key, or by the member), delegations, closing and enacting. `service`
//! holds what members can do (over `commons_governance`), `routes` the pages, `api` the JSON
//! API, `views` the markup.

pub mod api;
pub mod closing;
pub mod form;
pub mod routes;
pub mod service;
pub mod views;
pub mod voting;

pub use form::*;
pub use service::*;
pub use voting::*;
