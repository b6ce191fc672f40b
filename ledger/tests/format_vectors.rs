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
