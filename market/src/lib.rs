//! The circle's market: members' offers and needs (things, skills, knowledge, events), how they
//! are found (text analysis, search index, matching, trade cycles), and how two members agree a
//! deal. Everything here except `store` is pure: no database, no clock, no network.

pub mod category;
pub mod cycles;
pub mod deal;
pub mod event;
pub mod index;
pub mod listing;
pub mod markdown;
pub mod matching;
pub mod photo;
pub mod store;
pub mod text;
