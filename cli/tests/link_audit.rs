//! `commons audit --link A.jsonl B.jsonl` on two linked circles' exports: the link agrees
//! (exit 0), and a payment dropped from one side fails it (exit 1), named.

use std::process::Command;

use commons_ledger::crossing::{Hold, HoldSource, LinkTerms, TransferId};
use commons_ledger::entry::{Action, Body, CircleSpec, Request};
use commons_ledger::keys::{Hash, SecretKey};
use commons_ledger::store::{now_ms, CircleInfo, LocalPeers, Outcome, Store};

struct Made {
    info: CircleInfo,
    member: SecretKey,
}

async fn circle(store: &Store, slug: &str) -> Made {
    let steward = SecretKey::generate();
    let node = SecretKey::generate();
    let spec = CircleSpec {
        slug: slug.into(),
        name: slug.into(),
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
    let member = SecretKey::generate();
    let open = Request::signed(
        info.circle_id,
        &steward,
        Body::OpenAccount {
            account: member.public_key(),
            floor_minor: -2000,
            ceiling_minor: 5000,
        },
    );
    store.append(slug, open, None).await.expect("account");
    Made { info, member }
}

async fn link(store: &Store, from: &Made, to: &Made) {
    let terms = LinkTerms {
        partner: to.info.circle_id,
        partner_node_key: store.node_secret(&to.info).await.expect("key").public_key(),
        address: String::new(),
        rate_here_minor: 1,
        rate_there_minor: 1,
        out_max_minor: 10_000,
        in_max_minor: 10_000,
        shares_market: false,
        trust: commons_ledger::crossing::LinkTrust::Proved,
    };
    store
        .enact(
            &from.info,
            Hash::sha256(&[&from.info.circle_id.0]),
            Hash([0; 32]),
            vec![Action::Link(terms)],
        )
        .await
        .expect("link");
}

fn commons(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_commons"))
        .args(args)
        .output()
        .expect("runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[tokio::test]
async fn the_link_of_two_exports_agrees_and_a_dropped_payment_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(&dir.path().join("node.db").to_string_lossy())
        .await
        .expect("store");
    let (a, b) = (
        circle(&store, "garden").await,
        circle(&store, "repair").await,
    );
    link(&store, &a, &b).await;
    link(&store, &b, &a).await;
    let hold = Body::Hold(Hold {
        transfer: TransferId::random(),
        source: HoldSource::Member(a.member.public_key()),
        partner: b.info.circle_id,
        amount_minor: 150,
        amount_there_minor: 150,
        destination: b.info.circle_id,
        payee: b.member.public_key(),
        deadline_ms: now_ms() + 60_000,
        memo_hash: None,
    });
    let signed = Request::signed(a.info.circle_id, &a.member, hold);
    let peers = LocalPeers {
        store: store.clone(),
    };
    let (_, outcome) = store
        .send_across(&a.info, signed, None, &peers)
        .await
        .expect("sent");
    assert!(matches!(outcome, Outcome::Completed { .. }));
    let (path_a, path_b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    for (info, path) in [(&a.info, &path_a), (&b.info, &path_b)] {
        let mut file = std::fs::File::create(path).expect("file");
        store
            .export_to(info, &mut file, true)
            .await
            .expect("export");
    }
    let (a_text, b_text) = (path_a.to_string_lossy(), path_b.to_string_lossy());
    let (code, out) = commons(&["audit", "--link", &a_text, &b_text]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("OK: the link agrees: 1 payments from A to B"),
        "{out}"
    );
    // B's export without its arrival line: B's own audit fails, and so does the link.
    let text = std::fs::read_to_string(&path_b).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    let kept: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|line| !line.contains("\"seq\":3,"))
        .collect();
    assert_eq!(kept.len() + 1, lines.len(), "the arrival is entry 3");
    std::fs::write(&path_b, kept.join("\n") + "\n").expect("write");
    let (code, out) = commons(&["audit", "--link", &a_text, &b_text]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("which B does not have"), "{out}");
}
