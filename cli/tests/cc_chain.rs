//! `commons circle cc-chain`: only an operator starts the chain of a circle's account with a
//! Credit Commons node it linked with on its word; a partner the circle has no such link with,
//! or a value that cannot be a header, is refused with a sentence and nothing is kept.

use std::process::Command;

use commons_ledger::crossing::{cc_partner_id, LinkTerms, LinkTrust, NO_NODE_KEY};
use commons_ledger::entry::{Action, CircleSpec, Request};
use commons_ledger::keys::{Hash, PublicKey, SecretKey};
use commons_ledger::store::Store;

fn commons(db: &str, args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_commons"))
        .args(["--db", db])
        .args(args)
        .output()
        .expect("runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

#[tokio::test]
async fn an_operator_starts_the_chain_only_of_a_link_on_its_word() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("node.db").to_string_lossy().into_owned();
    let store = Store::open(&db).await.expect("store");
    let (steward, node) = (SecretKey::generate(), SecretKey::generate());
    let spec = CircleSpec {
        slug: "garden".into(),
        name: "Garden".into(),
        unit_name: "hours".into(),
        unit_symbol: "h".into(),
        decimals: 2,
        default_floor_minor: -2000,
        default_ceiling_minor: 5000,
    };
    let info = store
        .create_circle(Request::genesis(spec, &steward, node.public_key()), &node)
        .await
        .expect("circle");
    let address = "https://cc.example.org/cc";
    let terms = LinkTerms {
        partner: cc_partner_id(address, "trunk"),
        partner_node_key: PublicKey::from_raw(NO_NODE_KEY),
        address: address.into(),
        rate_here_minor: 1,
        rate_there_minor: 1,
        out_max_minor: 1000,
        in_max_minor: 1000,
        shares_market: false,
        trust: LinkTrust::OnItsWord {
            their_path: "trunk".into(),
            our_path: "trunk/garden".into(),
        },
    };
    store
        .enact(
            &info,
            Hash([1; 32]),
            Hash([0; 32]),
            vec![Action::Link(terms)],
        )
        .await
        .expect("linked");
    drop(store);
    let (code, said) = commons(
        &db,
        &[
            "circle",
            "cc-chain",
            "garden",
            "--partner",
            "branch",
            "--last-hash",
            "agreed",
        ],
    );
    assert_ne!(code, 0, "{said}");
    assert!(
        said.contains("no link on its word with a Credit Commons node named \"branch\""),
        "{said}"
    );
    let (code, said) = commons(
        &db,
        &[
            "circle",
            "cc-chain",
            "garden",
            "--partner",
            "trunk",
            "--last-hash",
            "two words",
        ],
    );
    assert_ne!(code, 0, "{said}");
    assert!(said.contains("1 to 200 visible characters"), "{said}");
    let (code, said) = commons(
        &db,
        &[
            "circle",
            "cc-chain",
            "nowhere",
            "--partner",
            "trunk",
            "--last-hash",
            "agreed",
        ],
    );
    assert_ne!(code, 0, "{said}");
    let (code, said) = commons(
        &db,
        &[
            "circle",
            "cc-chain",
            "garden",
            "--partner",
            "trunk",
            "--last-hash",
            "agreed",
        ],
    );
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("starts at the agreed value"), "{said}");
}
