//! Shared helpers for the ledger's pure tests: a small circle in memory.
#![allow(dead_code)]

use commons_ledger::entry::{Body, Cause, CircleSpec};
use commons_ledger::keys::SecretKey;
use commons_ledger::memory::MemoryLedger;

pub fn spec(decimals: u8, floor_minor: i64, ceiling_minor: i64) -> CircleSpec {
    CircleSpec {
        slug: "garden".into(),
        name: "Garden Share".into(),
        unit_name: "hours".into(),
        unit_symbol: "h".into(),
        decimals,
        default_floor_minor: floor_minor,
        default_ceiling_minor: ceiling_minor,
    }
}

pub struct Circle {
    pub ledger: MemoryLedger,
    pub steward: SecretKey,
    pub members: Vec<SecretKey>,
}

/// A circle in hours with 2 decimals and `count` members, each with floor -20 and ceiling 50.
pub fn circle(count: usize) -> Circle {
    let steward = SecretKey::generate();
    let mut ledger =
        MemoryLedger::create(spec(2, -2000, 5000), &steward, 1_700_000_000_000).expect("genesis");
    let members: Vec<SecretKey> = (0..count).map(|_| SecretKey::generate()).collect();
    for member in &members {
        ledger
            .submit(
                &steward,
                Body::OpenAccount {
                    account: member.public_key(),
                    floor_minor: -2000,
                    ceiling_minor: 5000,
                },
            )
            .expect("open");
    }
    Circle {
        ledger,
        steward,
        members,
    }
}

pub fn pay(payer: &SecretKey, payee: &SecretKey, amount_minor: i64) -> Body {
    Body::Transfer {
        payer: payer.public_key(),
        payee: payee.public_key(),
        amount_minor,
        memo_hash: None,
        cause: Cause::Direct,
    }
}
