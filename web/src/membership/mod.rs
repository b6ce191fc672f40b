//! Becoming a member of a circle: invitations, asking to join, admission.

pub mod routes;
pub mod service;
