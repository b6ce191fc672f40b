//! Test vectors for docs/ledger-format.md: a small deterministic ledger whose every byte is
//! written to `docs/ledger-format-vectors.json`. Any change to the format changes the bytes and
//! fails this test; run with `UPDATE_VECTORS=1` only for a deliberate new format version.

use commons_ledger::entry::{memo_hash, Body, Cause, CircleSpec, Entry, Request, TreeHead};
use commons_ledger::keys::{Hash, Nonce, SecretKey};
use commons_ledger::merkle;
use commons_ledger::state::CircleState;
use serde_json::{json, Value};

fn vectors() -> Value {
    let steward = SecretKey::from_seed([1; 32]);
    let node = SecretKey::from_seed([2; 32]);
    let alice = SecretKey::from_seed([3; 32]);
    let bob = SecretKey::from_seed([4; 32]);
    let spec = CircleSpec {
        slug: "garden".into(),
        name: "Garden Share".into(),
        unit_name: "hours".into(),
        unit_symbol: "h".into(),
        decimals: 2,
        default_floor_minor: -2000,
        default_ceiling_minor: 5000,
    };
    let genesis = Request {
        circle_id: Hash::ZERO,
        author: steward.public_key(),
        nonce: Nonce([0x10; 16]),
        body: Body::Genesis {
            spec,
            stewards: vec![steward.public_key()],
            node_key: node.public_key(),
        },
    }
    .sign(&steward);
    let genesis = Entry {
        seq: 0,
        prev_hash: Hash::ZERO,
        recorded_at_ms: 1_767_225_600_000,
        signed: genesis,
    };
    let circle_id = genesis.hash();
    let mut state = CircleState::from_genesis(&genesis, circle_id).expect("genesis");
    let mut entries = vec![genesis];
    let memo_salt = [0x55; 16];
    let memo_text = "bike repair, thank you!";
    let bodies: Vec<(&SecretKey, Body)> = vec![
        (
            &steward,
            Body::OpenAccount {
                account: alice.public_key(),
                floor_minor: -2000,
                ceiling_minor: 5000,
            },
        ),
        (
            &steward,
            Body::OpenAccount {
                account: bob.public_key(),
                floor_minor: -2000,
                ceiling_minor: 5000,
            },
        ),
        (
            &alice,
            Body::Transfer {
                payer: alice.public_key(),
                payee: bob.public_key(),
                amount_minor: 250,
                memo_hash: Some(memo_hash(&memo_salt, memo_text)),
                cause: Cause::Direct,
            },
        ),
    ];
    for (index, (author, body)) in bodies.into_iter().enumerate() {
        let signed = Request {
            circle_id,
            author: author.public_key(),
            nonce: Nonce([0x20 + index as u8; 16]),
            body,
        }
        .sign(author);
        let (entry, _) = state
            .place(signed, 1_767_225_600_000 + 1000 * (index as i64 + 1))
            .expect("valid");
        entries.push(entry);
    }
    let leaves: Vec<Hash> = entries.iter().map(Entry::hash).collect();
    let root = merkle::root(&leaves);
    let head = TreeHead::sign(
        &node,
        circle_id,
        leaves.len() as u64,
        root,
        1_767_225_700_000,
    );
    json!({
        "keys": {
            "steward": { "seed": hex::encode(steward.seed()), "public": steward.public_key().to_hex() },
            "node": { "seed": hex::encode(node.seed()), "public": node.public_key().to_hex() },
            "alice": { "seed": hex::encode(alice.seed()), "public": alice.public_key().to_hex() },
            "bob": { "seed": hex::encode(bob.seed()), "public": bob.public_key().to_hex() },
        },
        "circle_id": circle_id.to_hex(),
        "memo": { "salt": hex::encode(memo_salt), "text": memo_text, "hash": memo_hash(&memo_salt, memo_text).to_hex() },
        "entries": entries.iter().map(|entry| json!({
            "seq": entry.seq,
            "kind": entry.signed.record.body.kind_name(),
            "request": hex::encode(&entry.signed.bytes),
            "signature": entry.signed.signature.to_hex(),
            "entry_bytes": hex::encode(entry.encode()),
            "entry_hash": entry.hash().to_hex(),
        })).collect::<Vec<_>>(),
        "tree_head": {
            "tree_size": head.tree_size,
            "root": head.root.to_hex(),
            "timestamp_ms": head.timestamp_ms,
            "signed_bytes": hex::encode(TreeHead::signed_bytes(&circle_id, head.tree_size, &root, head.timestamp_ms)),
            "signature": head.signature.to_hex(),
        },
        "inclusion_proof_of_entry_2_in_tree_of_4": merkle::inclusion_proof(&leaves, 2).iter().map(Hash::to_hex).collect::<Vec<_>>(),
        "consistency_proof_from_3_to_4": merkle::consistency_proof(&leaves, 3).iter().map(Hash::to_hex).collect::<Vec<_>>(),
        "root_of_first_3": merkle::root(&leaves[..3]).to_hex(),
        "balances_after": { "alice": state.accounts[&alice.public_key()].balance_minor, "bob": state.accounts[&bob.public_key()].balance_minor },
    })
}

#[test]
fn the_documented_vectors_still_hold() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ledger-format-vectors.json");
    let fresh = vectors();
    if std::env::var("UPDATE_VECTORS").is_ok() {
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&fresh).expect("json") + "\n",
        )
        .expect("write vectors");
    }
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("vectors file")).expect("json");
    assert_eq!(
        stored, fresh,
        "the ledger format changed: the bytes no longer match docs/ledger-format-vectors.json"
    );
}

/// The entries of a payment between two linked circles, byte for byte: each circle's link by
/// enactment, the payer's hold, the arrival in the other circle, and the settlement.
fn spec(slug: &str, unit: &str) -> CircleSpec {
    CircleSpec {
        slug: slug.into(),
        name: slug.into(),
        unit_name: unit.into(),
        unit_symbol: unit.into(),
        decimals: 2,
        default_floor_minor: -2000,
        default_ceiling_minor: 5000,
    }
}
struct Side {
    state: CircleState,
    entries: Vec<Entry>,
    node: SecretKey,
    clock: i64,
}
impl Side {
    fn new(spec: CircleSpec, steward: &SecretKey, node: SecretKey, nonce: u8) -> Side {
        let genesis = Request {
            circle_id: Hash::ZERO,
            author: steward.public_key(),
            nonce: Nonce([nonce; 16]),
            body: Body::Genesis {
                spec,
                stewards: vec![steward.public_key()],
                node_key: node.public_key(),
            },
        }
        .sign(steward);
        let entry = Entry {
            seq: 0,
            prev_hash: Hash::ZERO,
            recorded_at_ms: 1_767_225_600_000,
            signed: genesis,
        };
        let state = CircleState::from_genesis(&entry, entry.hash()).expect("genesis");
        Side {
            state,
            entries: vec![entry],
            node,
            clock: 1_767_225_600_000,
        }
    }
    fn place(&mut self, author: &SecretKey, nonce: u8, body: Body) -> Hash {
        self.clock += 1000;
        let signed = Request {
            circle_id: self.state.circle_id,
            author: author.public_key(),
            nonce: Nonce([nonce; 16]),
            body,
        }
        .sign(author);
        let (entry, hash) = self.state.place(signed, self.clock).expect("valid");
        self.entries.push(entry);
        hash
    }
}

fn link_vectors() -> Value {
    use commons_ledger::crossing::{Arrival, Hold, HoldSource, LinkTerms, Settlement, TransferId};
    use commons_ledger::entry::Action;
    let steward = SecretKey::from_seed([1; 32]);
    let alice = SecretKey::from_seed([3; 32]);
    let carol = SecretKey::from_seed([5; 32]);
    let mut garden = Side::new(
        spec("garden", "hours"),
        &steward,
        SecretKey::from_seed([2; 32]),
        0x10,
    );
    let mut repair = Side::new(
        spec("repair", "credits"),
        &steward,
        SecretKey::from_seed([6; 32]),
        0x11,
    );
    let open = |key: &SecretKey| Body::OpenAccount {
        account: key.public_key(),
        floor_minor: -2000,
        ceiling_minor: 5000,
    };
    garden.place(&steward, 0x20, open(&alice));
    repair.place(&steward, 0x21, open(&carol));
    // 3.00 hours = 7.00 credits; each may owe the other 100.00.
    let terms = |partner: &Side, here: i64, there: i64| LinkTerms {
        partner: partner.state.circle_id,
        partner_node_key: partner.node.public_key(),
        address: String::new(),
        rate_here_minor: here,
        rate_there_minor: there,
        out_max_minor: 10_000,
        in_max_minor: 10_000,
        shares_market: true,
        trust: commons_ledger::crossing::LinkTrust::Proved,
    };
    let enact = |terms: LinkTerms| Body::Enact {
        proposal: Hash([0x30; 32]),
        board_root: Hash([0x31; 32]),
        actions: vec![Action::Link(terms)],
    };
    let (to_repair, to_garden) = (terms(&repair, 300, 700), terms(&garden, 700, 300));
    let garden_node = SecretKey::from_seed(*garden.node.seed());
    let repair_node = SecretKey::from_seed(*repair.node.seed());
    garden.place(&garden_node, 0x22, enact(to_repair));
    repair.place(&repair_node, 0x23, enact(to_garden));
    let hold = Hold {
        transfer: TransferId([0x40; 16]),
        source: HoldSource::Member(alice.public_key()),
        partner: repair.state.circle_id,
        amount_minor: 100,
        amount_there_minor: 233,
        destination: repair.state.circle_id,
        payee: carol.public_key(),
        deadline_ms: 1_767_225_660_000,
        memo_hash: None,
    };
    let held = garden.place(&alice, 0x24, Body::Hold(hold));
    let arrived = repair.place(
        &repair_node,
        0x25,
        Body::Arrive(Arrival {
            transfer: TransferId([0x40; 16]),
            partner: garden.state.circle_id,
            remote: held,
            payee: carol.public_key(),
            amount_minor: 233,
            memo_hash: None,
        }),
    );
    garden.place(
        &garden_node,
        0x26,
        Body::Settle {
            hold: held,
            settlement: Settlement::Commit { remote: arrived },
        },
    );
    let side = |side: &Side| {
        json!({
            "circle_id": side.state.circle_id.to_hex(),
            "node_key": side.node.public_key().to_hex(),
            "entries": side.entries.iter().map(|entry| json!({
                "seq": entry.seq,
                "kind": entry.signed.record.body.kind_name(),
                "request": hex::encode(&entry.signed.bytes),
                "entry_hash": entry.hash().to_hex(),
            })).collect::<Vec<_>>(),
        })
    };
    json!({
        "keys": {
            "steward": steward.public_key().to_hex(),
            "alice": alice.public_key().to_hex(),
            "carol": carol.public_key().to_hex(),
        },
        "garden": side(&garden),
        "repair": side(&repair),
        "connector_of_repair_in_garden": commons_ledger::crossing::connector_key(&repair.state.circle_id).to_hex(),
        "balances_after": {
            "alice": garden.state.accounts[&alice.public_key()].balance_minor,
            "carol": repair.state.accounts[&carol.public_key()].balance_minor,
        },
    })
}

/// Compares `fresh` with the vectors file `docs/{name}` (rewritten first with `UPDATE_VECTORS`).
fn check_vectors(name: &str, fresh: &Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs")
        .join(name);
    if std::env::var("UPDATE_VECTORS").is_ok() {
        std::fs::write(
            &path,
            serde_json::to_string_pretty(fresh).expect("json") + "\n",
        )
        .expect("write vectors");
    }
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("vectors file")).expect("json");
    assert_eq!(
        &stored, fresh,
        "the format changed: the bytes no longer match docs/{name}"
    );
}

#[test]
fn the_documented_link_vectors_still_hold() {
    check_vectors("ledger-format-link-vectors.json", &link_vectors());
}

/// A circle linked with a Credit Commons node (action tag 12): the link, a payment arriving on
/// the partner's word, and one held toward an account there and settled on its word.
fn cc_vectors() -> Value {
    use commons_ledger::crossing::{
        cc_account_key, cc_partner_id, Arrival, Hold, HoldSource, LinkTerms, LinkTrust, Settlement,
        TransferId, NO_NODE_KEY,
    };
    use commons_ledger::entry::Action;
    let steward = SecretKey::from_seed([1; 32]);
    let alice = SecretKey::from_seed([3; 32]);
    let node = SecretKey::from_seed([2; 32]);
    let mut garden = Side::new(
        spec("garden", "hours"),
        &steward,
        SecretKey::from_seed([2; 32]),
        0x10,
    );
    garden.place(
        &steward,
        0x20,
        Body::OpenAccount {
            account: alice.public_key(),
            floor_minor: -2000,
            ceiling_minor: 5000,
        },
    );
    let address = "https://cc.example.org/cc";
    let partner = cc_partner_id(address, "trunk");
    let terms = LinkTerms {
        partner,
        partner_node_key: commons_ledger::keys::PublicKey::from_raw(NO_NODE_KEY),
        address: address.into(),
        rate_here_minor: 100,
        rate_there_minor: 250,
        out_max_minor: 5000,
        in_max_minor: 5000,
        shares_market: false,
        trust: LinkTrust::OnItsWord {
            their_path: "trunk".into(),
            our_path: "trunk/garden".into(),
        },
    };
    garden.place(
        &node,
        0x22,
        Body::Enact {
            proposal: Hash([0x30; 32]),
            board_root: Hash([0x31; 32]),
            actions: vec![Action::Link(terms)],
        },
    );
    garden.place(
        &node,
        0x23,
        Body::Arrive(Arrival {
            transfer: TransferId([0x50; 16]),
            partner,
            remote: Hash::sha256(&[b"the relayed transaction's JSON"]),
            payee: alice.public_key(),
            amount_minor: 400,
            memo_hash: None,
        }),
    );
    let held = garden.place(
        &alice,
        0x24,
        Body::Hold(Hold {
            transfer: TransferId([0x51; 16]),
            source: HoldSource::Member(alice.public_key()),
            partner,
            amount_minor: 100,
            amount_there_minor: 250,
            destination: partner,
            payee: cc_account_key("trunk/bob"),
            deadline_ms: 1_767_225_660_000,
            memo_hash: None,
        }),
    );
    garden.place(
        &node,
        0x25,
        Body::Settle {
            hold: held,
            settlement: Settlement::Commit {
                remote: Hash::sha256(&[b"the partner's answer"]),
            },
        },
    );
    json!({
        "keys": { "steward": steward.public_key().to_hex(), "alice": alice.public_key().to_hex() },
        "partner_id": partner.to_hex(),
        "payee_trunk_bob": cc_account_key("trunk/bob").to_hex(),
        "connector": commons_ledger::crossing::connector_key(&partner).to_hex(),
        "entries": garden.entries.iter().map(|entry| json!({
            "seq": entry.seq,
            "kind": entry.signed.record.body.kind_name(),
            "request": hex::encode(&entry.signed.bytes),
            "entry_hash": entry.hash().to_hex(),
        })).collect::<Vec<_>>(),
        "alice_balance_after": garden.state.accounts[&alice.public_key()].balance_minor,
        "payments_on_its_word": garden.state.links[&partner].on_word_payments,
    })
}

#[test]
fn the_documented_credit_commons_vectors_still_hold() {
    let fresh = cc_vectors();
    check_vectors("ledger-format-cc-vectors.json", &fresh);
    assert_eq!(fresh["alice_balance_after"], 300);
    assert_eq!(fresh["payments_on_its_word"], 2);
}
