//! The store contract, run against SQLite and PostgreSQL alike.

use std::sync::Arc;

use commons_ledger::audit::audit;
use commons_ledger::entry::{memo_hash, Body, Cause};
use commons_ledger::export::parse_export;
use commons_ledger::export::Memo;
use commons_ledger::merkle;
use commons_ledger::state::Refusal;
use commons_ledger::store::{Store, StoreError};
use commons_tests::{both_backends, make_circle};

async fn balances(store: &Store, slug: &str) -> Vec<(String, i64)> {
    let info = store.circle(slug).await.expect("circle");
    let mut rows: Vec<(String, i64)> = store
        .accounts(&info)
        .await
        .expect("accounts")
        .into_iter()
        .map(|a| (a.key.to_hex(), a.balance_minor))
        .collect();
    rows.sort();
    rows
}

both_backends! {
    a_page_of_one_kind_of_entry_reads_newest_first_and_pages_on_below_its_oldest => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let c = make_circle(&store, "garden", 2).await;
        let (a, b) = (&c.members[0], &c.members[1]);
        for n in 0..7 {
            store.append("garden", c.pay(a, b, 10 + n), None).await.expect("pay");
            if n % 3 == 0 {
                let ask = c.sign(b, Body::RequestPayment { payer: a.public_key(), payee: b.public_key(), amount_minor: 5, memo_hash: None });
                store.append("garden", ask, None).await.expect("ask");
            }
        }
        let info = store.circle("garden").await.expect("circle");
        let size = store.latest_tree_head(&info).await.expect("head").tree_size;
        let mut seen = Vec::new();
        let mut before = size;
        loop {
            let page = store.entries_of_kinds_before(&info, &[5], before, 3).await.expect("page");
            assert!(page.len() <= 3);
            assert!(page.iter().all(|stored| stored.entry.signed.record.body.kind() == 5));
            assert!(page.windows(2).all(|pair| pair[0].entry.seq > pair[1].entry.seq), "newest first");
            seen.extend(page.iter().map(|stored| stored.entry.seq));
            match page.last() {
                Some(last) if page.len() == 3 => before = last.entry.seq,
                _ => break,
            }
        }
        assert_eq!(seen.len(), 7, "every payment once: {seen:?}");
        let requests = store.entries_of_kinds_before(&info, &[6, 7], size, 50).await.expect("requests");
        assert_eq!(requests.len(), 3);
        assert!(store.entries_of_kinds_before(&info, &[], size, 50).await.expect("none").is_empty());
    };

    payments_persist_and_the_state_reloads_from_the_log => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let c = make_circle(&store, "garden", 3).await;
        let (a, b) = (&c.members[0], &c.members[1]);
        let appended = store.append("garden", c.pay(a, b, 250), None).await.expect("pay");
        assert_eq!(appended.seq, 4);
        assert!(!appended.duplicate);
        let before = balances(&store, "garden").await;
        assert!(before.contains(&(a.public_key().to_hex(), -250)));
        assert!(before.contains(&(b.public_key().to_hex(), 250)));
        store.close().await;

        let store = Store::open(&url).await.expect("reopen");
        assert_eq!(balances(&store, "garden").await, before);
        let info = store.circle("garden").await.expect("circle");
        assert_eq!(info.head_seq, 4);
        let (state, _) = store.load_state(info.row_id).await.expect("state");
        assert_eq!(state.accounts[&a.public_key()].balance_minor, -250);
        let report = store.audit("garden", None, &|_| {}).await.expect("audit");
        assert!(report.passed(), "{:?}", report.faults);
        // The writer starts again after a reopen and continues the chain.
        assert_eq!(store.append("garden", c.pay(b, a, 50), None).await.expect("pay").seq, 5);
    };

    a_refusal_writes_nothing_and_a_retry_is_idempotent => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let c = make_circle(&store, "garden", 2).await;
        let (a, b) = (&c.members[0], &c.members[1]);
        let error = store.append("garden", c.pay(a, b, 2001), None).await.expect_err("beyond floor");
        assert!(matches!(error, StoreError::Refused(Refusal::InsufficientCredit { .. })), "{error}");
        assert_eq!(error.to_string(), "Not enough credit: your balance is 0.00 hours, your floor is -20.00 hours, so you can pay at most 20.00 hours.");
        assert_eq!(store.circle("garden").await.expect("circle").head_seq, 2);
        let signed = c.pay(a, b, 100);
        let first = store.append("garden", signed.clone(), None).await.expect("pay");
        let again = store.append("garden", signed, None).await.expect("same request again");
        assert_eq!((again.seq, again.duplicate), (first.seq, true));
        assert!(balances(&store, "garden").await.contains(&(a.public_key().to_hex(), -100)));
        // Signed bytes that are not the encoding of the request's contents are refused.
        let mut mismatched = c.pay(a, b, 100);
        if let Body::Transfer { amount_minor, .. } = &mut mismatched.record.body {
            *amount_minor = 1;
        }
        assert!(matches!(store.append("garden", mismatched, None).await, Err(StoreError::Refused(Refusal::Malformed))));
        let mut forged = c.pay(a, b, 100);
        forged.signature.0[0] ^= 1;
        assert!(matches!(store.append("garden", forged, None).await, Err(StoreError::Refused(Refusal::BadSignature))));
        assert!(matches!(store.append("nowhere", c.pay(a, b, 1), None).await, Err(StoreError::NoSuchCircle(_))));
    };

    sixty_four_concurrent_payers_never_break_a_floor => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let c = Arc::new(make_circle(&store, "garden", 65).await);
        // Member 0 sits at -17.00 of a -20.00 floor; 64 members pay each other and hammer member 0.
        let payer = &c.members[0];
        store.append("garden", c.pay(payer, &c.members[1], 1700), None).await.expect("to near the floor");
        let mut tasks = Vec::new();
        for worker in 1..=64usize {
            let (store, c) = (store.clone(), Arc::clone(&c));
            tasks.push(tokio::spawn(async move {
                let mut accepted = 0;
                for round in 0..4 {
                    let payee = &c.members[1 + (worker + round) % 64];
                    // The same account, signed by itself, spent from 64 places at once...
                    if store.append("garden", c.pay(&c.members[0], payee, 10), None).await.is_ok() {
                        accepted += 1;
                    }
                    // ...while everyone else trades among themselves.
                    let other = &c.members[1 + (worker + round + 1) % 64];
                    let me = &c.members[worker];
                    if me.public_key() != other.public_key() {
                        let _ = store.append("garden", c.pay(me, other, 1), None).await;
                    }
                }
                accepted
            }));
        }
        let mut accepted = 0;
        for task in tasks {
            accepted += task.await.expect("task");
        }
        assert_eq!(accepted, 30, "exactly 3.00 hours of room = 30 payments of 0.10");
        let info = store.circle("garden").await.expect("circle");
        let accounts = store.accounts(&info).await.expect("accounts");
        assert_eq!(accounts.iter().map(|a| a.balance_minor).sum::<i64>(), 0);
        for account in &accounts {
            assert!(account.floor_minor <= account.balance_minor && account.balance_minor <= account.ceiling_minor);
        }
        assert_eq!(accounts.iter().find(|a| a.key == payer.public_key()).map(|a| a.balance_minor), Some(-2000));
        let report = store.audit("garden", None, &|_| {}).await.expect("audit");
        assert!(report.passed(), "{:?}", report.faults);
    };

    two_stores_on_one_database_keep_one_chain => |url: String| async move {
        let first = Store::open(&url).await.expect("open");
        let c = make_circle(&first, "garden", 4).await;
        let second = Store::open(&url).await.expect("open again");
        for round in 0..20i64 {
            let store = if round % 2 == 0 { &first } else { &second };
            let (a, b) = (&c.members[(round % 4) as usize], &c.members[((round + 1) % 4) as usize]);
            store.append("garden", c.pay(a, b, 10 + round), None).await.expect("pay from either process");
        }
        let report = second.audit("garden", None, &|_| {}).await.expect("audit");
        assert!(report.passed(), "{:?}", report.faults);
        assert_eq!(report.entries_checked, 25);
    };

    tree_heads_and_proofs => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let c = make_circle(&store, "garden", 2).await;
        let info = store.circle("garden").await.expect("circle");
        let old_head = store.latest_tree_head(&info).await.expect("head");
        assert_eq!(old_head.tree_size, 3);
        for amount in 1..=6 {
            store.append("garden", c.pay(&c.members[0], &c.members[1], amount), None).await.expect("pay");
        }
        let head = store.latest_tree_head(&info).await.expect("head");
        assert_eq!(head.tree_size, 9);
        let (state, _) = store.load_state(info.row_id).await.expect("state");
        assert!(head.verify(&state.node_key));
        let leaves = store.leaf_hashes(&info).await.expect("leaves");
        for seq in 0..9u64 {
            let proof = store.inclusion_proof(&info, seq, 9).await.expect("proof");
            merkle::verify_inclusion(seq, 9, &leaves[seq as usize].0, &proof, &head.root.0).expect("included");
        }
        let proof = store.consistency_proof(&info, old_head.tree_size, head.tree_size).await.expect("proof");
        merkle::verify_consistency(old_head.tree_size, head.tree_size, &proof, &old_head.root.0, &head.root.0).expect("consistent");
        let report = store.audit("garden", Some(old_head), &|_| {}).await.expect("audit");
        assert!(report.passed(), "{:?}", report.faults);
    };

    inclusion_proofs_come_from_stored_subtrees_for_every_entry_and_tree_size => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let c = make_circle(&store, "garden", 2).await;
        let info = store.circle("garden").await.expect("circle");
        // Batches of varied sizes, so subtrees complete inside and across commits.
        for batch in [1usize, 5, 2, 11, 3, 17] {
            let requests: Vec<_> = (0..batch).map(|n| (c.pay(&c.members[0], &c.members[1], 1 + n as i64), None)).collect();
            for result in store.append_many("garden", requests).await.expect("append") {
                result.expect("paid");
            }
        }
        let leaves = store.leaf_hashes(&info).await.expect("leaves");
        let size = leaves.len() as u64;
        assert_eq!(size, 3 + 39);
        let check = |store: Store, leaves: Vec<commons_ledger::keys::Hash>, info: commons_ledger::store::CircleInfo| async move {
            for tree_size in [1, 2, 7, 8, 9, 31, 32, 33, size] {
                for seq in 0..tree_size {
                    let proof = store.inclusion_proof(&info, seq, tree_size).await.expect("proof");
                    assert_eq!(proof, merkle::inclusion_proof(&leaves[..tree_size as usize], seq as usize), "{seq} of {tree_size}");
                }
            }
            assert!(store.inclusion_proof(&info, size, size).await.is_err());
            assert!(store.inclusion_proof(&info, 0, size + 1).await.is_err());
        };
        check(store.clone(), leaves.clone(), info.clone()).await;
        // A log written before subtrees were kept gets them when a store opens it.
        sqlx::query("DELETE FROM merkle_subtrees").execute(store.pool()).await.expect("forget");
        store.close().await;
        let reopened = Store::open(&url).await.expect("reopen");
        check(reopened, leaves, info).await;
    };

    memos_are_kept_beside_the_chain_and_can_be_erased => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let c = make_circle(&store, "garden", 2).await;
        let (a, b) = (&c.members[0], &c.members[1]);
        let salt = [4u8; 16];
        let body = Body::Transfer { payer: a.public_key(), payee: b.public_key(), amount_minor: 300, memo_hash: Some(memo_hash(&salt, "jam jars")), cause: Cause::Direct };
        let appended = store.append("garden", c.sign(a, body), Some(Memo { salt, text: "jam jars".into() })).await.expect("pay");
        // A memo that is not the one the payer signed, or too long, is refused and nothing is written.
        let body = Body::Transfer { payer: a.public_key(), payee: b.public_key(), amount_minor: 1, memo_hash: Some(memo_hash(&salt, "jam")), cause: Cause::Direct };
        let wrong = store.append("garden", c.sign(a, body), Some(Memo { salt, text: "jam jars".into() })).await;
        assert!(matches!(wrong, Err(StoreError::Refused(Refusal::MemoMismatch))), "{wrong:?}");
        let long = "x".repeat(1001);
        let body = Body::Transfer { payer: a.public_key(), payee: b.public_key(), amount_minor: 1, memo_hash: Some(memo_hash(&salt, &long)), cause: Cause::Direct };
        let too_long = store.append("garden", c.sign(a, body), Some(Memo { salt, text: long })).await;
        assert!(matches!(too_long, Err(StoreError::Refused(Refusal::MemoTooLong(1001)))), "{too_long:?}");
        assert_eq!(store.circle("garden").await.expect("circle").head_seq, appended.seq);
        let info = store.circle("garden").await.expect("circle");
        assert_eq!(store.entry(&info, appended.seq).await.expect("entry").memo.map(|m| m.text).as_deref(), Some("jam jars"));
        assert!(store.erase_memo(&info, appended.seq).await.expect("erase"));
        assert!(store.entry(&info, appended.seq).await.expect("entry").memo.is_none());
        let report = store.audit("garden", None, &|_| {}).await.expect("audit");
        assert!(report.passed(), "{:?}", report.faults);
    };

    a_batch_is_applied_in_order_each_request_on_its_own => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let c = make_circle(&store, "garden", 2).await;
        let (a, b) = (&c.members[0], &c.members[1]);
        let first = c.pay(a, b, 1500);
        let results = store
            .append_many("garden", vec![
                (first.clone(), None),
                // Beyond the floor only because the first one went through.
                (c.pay(a, b, 600), None),
                (c.pay(b, a, 100), None),
                (first, None),
            ])
            .await
            .expect("batch");
        assert_eq!(results.len(), 4);
        let first_seq = results[0].as_ref().expect("first").seq;
        assert!(matches!(results[1], Err(StoreError::Refused(Refusal::InsufficientCredit { .. }))), "{:?}", results[1]);
        assert_eq!(results[2].as_ref().expect("third").seq, first_seq + 1);
        let again = results[3].as_ref().expect("a retry is answered");
        assert!(again.duplicate && again.seq == first_seq);
        assert_eq!(balances(&store, "garden").await.iter().map(|(_, balance)| *balance).sum::<i64>(), 0);
        let too_many = (0..=commons_ledger::store::APPEND_BATCH_MAX).map(|_| (c.pay(b, a, 1), None)).collect();
        assert!(matches!(store.append_many("garden", too_many).await, Err(StoreError::BatchTooLarge(_))));
        let report = store.audit("garden", None, &|_| {}).await.expect("audit");
        assert!(report.passed(), "{:?}", report.faults);
    };

    remembered_reads_never_outlive_a_write => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let c = make_circle(&store, "garden", 2).await;
        let (a, b) = (&c.members[0], &c.members[1]);
        let info = store.circle("garden").await.expect("circle");
        let head = store.latest_tree_head(&info).await.expect("head");
        // Every remembered read, read once so the store holds it.
        assert_eq!(store.account(&info, &a.public_key()).await.expect("account").map(|row| row.balance_minor), Some(0));
        assert!(store.account_entries(&info, &[a.public_key()], false, None, 10).await.expect("mine").is_empty());
        let page = store.entries_before(&info, head.tree_size, 50).await.expect("page");
        let appended = store.append("garden", c.pay(a, b, 250), None).await.expect("pay");
        // Read right after the write: every answer already shows it.
        let info = store.circle("garden").await.expect("circle");
        assert_eq!(info.head_seq, appended.seq);
        assert_eq!(store.account(&info, &a.public_key()).await.expect("account").map(|row| row.balance_minor), Some(-250));
        let mine = store.account_entries(&info, &[a.public_key()], false, None, 10).await.expect("mine");
        assert_eq!(mine.iter().map(|stored| stored.entry.seq).collect::<Vec<_>>(), vec![appended.seq]);
        let head = store.latest_tree_head(&info).await.expect("head");
        assert_eq!(head.tree_size, appended.seq + 1);
        let newer = store.entries_before(&info, head.tree_size, 50).await.expect("page");
        assert_eq!(newer.len(), page.len() + 1);
        // Another process writing to the same database shows within the remembered time.
        let other = Store::open(&url).await.expect("a second process");
        other.append("garden", c.pay(b, a, 50), None).await.expect("pay from elsewhere");
        tokio::time::sleep(std::time::Duration::from_millis(
            commons_ledger::store::cache::READ_CACHE_TTL_MS + 100,
        ))
        .await;
        assert_eq!(store.account(&info, &a.public_key()).await.expect("account").map(|row| row.balance_minor), Some(-200));
        other.close().await;
    };

    changing_stored_amounts_balances_or_requests_is_found => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let c = make_circle(&store, "garden", 2).await;
        let (a, b) = (&c.members[0], &c.members[1]);
        let seq = store.append("garden", c.pay(a, b, 250), None).await.expect("pay").seq;
        store.append("garden", c.pay(b, a, 50), None).await.expect("pay");
        let pool = store.pool();
        // Entries refuse changes; an operator who removes that protection is still caught.
        assert!(sqlx::query("UPDATE entries SET amount_minor = 1 WHERE seq = $1").bind(seq as i64).execute(pool).await.is_err());
        let drops: &[&str] = match store.backend() {
            commons_ledger::store::Backend::Sqlite => &["DROP TRIGGER entries_no_update", "DROP TRIGGER entries_no_delete"],
            commons_ledger::store::Backend::Postgres => &["DROP TRIGGER entries_no_update_or_delete ON entries"],
    };
        for statement in drops {
            sqlx::query(statement).execute(pool).await.expect("drop trigger");
        }
        sqlx::query("UPDATE entries SET amount_minor = 25000 WHERE seq = $1").bind(seq as i64).execute(pool).await.expect("tamper amount");
        let report = store.audit("garden", None, &|_| {}).await.expect("audit");
        assert!(report.faults.iter().any(|f| f.entry == Some(seq) && f.what.contains("amount")), "{:?}", report.faults);

        sqlx::query("UPDATE accounts SET balance_minor = balance_minor + 100 WHERE account_key = $1")
            .bind(b.public_key().as_bytes().to_vec())
            .execute(pool)
            .await
            .expect("tamper balance");
        let report = store.audit("garden", None, &|_| {}).await.expect("audit");
        let short = b.public_key().short();
        assert!(report.faults.iter().any(|f| f.what.contains(&short) && f.what.contains("stored balance")), "{:?}", report.faults);

        let info = store.circle("garden").await.expect("circle");
        let mut request = store.entry(&info, seq).await.expect("entry").entry.signed.bytes;
        let last = request.len() - 10;
        request[last] ^= 1;
        sqlx::query("UPDATE entries SET request = $1 WHERE seq = $2").bind(request).bind(seq as i64).execute(pool).await.expect("tamper request");
        let report = store.audit("garden", None, &|_| {}).await.expect("audit");
        assert!(report.faults.iter().any(|f| f.entry == Some(seq) && (f.what.contains("signature") || f.what.contains("hash"))), "{:?}", report.faults);

        sqlx::query("DELETE FROM tree_heads").execute(pool).await.expect("delete heads");
        let report = store.audit("garden", None, &|_| {}).await.expect("audit still runs");
        assert!(report.faults.iter().any(|f| f.what.contains("no signed tree head")), "{:?}", report.faults);

        sqlx::query("DELETE FROM entries WHERE seq = 1").execute(pool).await.expect("delete");
        let report = store.audit("garden", None, &|_| {}).await.expect("audit");
        assert!(report.faults.iter().any(|f| f.entry == Some(1) && f.what.contains("missing")), "{:?}", report.faults);

        // The circle's settings row is checked against its signed genesis: a changed number of
        // decimals would make "2.5" mean 250.00; the store refuses to use it and audit names it.
        // (A store remembers what it read for up to a second; one opened now reads afresh.)
        sqlx::query("UPDATE circles SET decimals = 4").execute(pool).await.expect("tamper decimals");
        let fresh = Store::open(&url).await.expect("open again");
        assert!(matches!(fresh.circle("garden").await, Err(StoreError::Corrupt(_))));
        fresh.close().await;
        let report = store.audit("garden", None, &|_| {}).await.expect("audit");
        assert!(report.faults.iter().any(|f| f.what.contains("decimals")), "{:?}", report.faults);
    };

    audits_and_exports_of_a_live_node_see_one_consistent_snapshot => |url: String| async move {
        let store = Store::open(&url).await.expect("open");
        let c = Arc::new(make_circle(&store, "garden", 8).await);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut writers = Vec::new();
        for worker in 0..8usize {
            let (store, c, stop) = (store.clone(), Arc::clone(&c), Arc::clone(&stop));
            writers.push(tokio::spawn(async move {
                let mut round = 0usize;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let (a, b) = (&c.members[worker], &c.members[(worker + 1 + round % 7) % 8]);
                    let _ = store.append("garden", c.pay(a, b, 1 + (round % 5) as i64), None).await;
                    round += 1;
                }
            }));
        }
        let info = store.circle("garden").await.expect("circle");
        for _ in 0..5 {
            let report = store.audit("garden", None, &|_| {}).await.expect("audit");
            assert!(report.passed(), "{:?}", report.faults);
            let mut export = Vec::new();
            let written = store.export_to(&info, &mut export, true).await.expect("export");
            let text = String::from_utf8(export).expect("utf-8");
            let report = audit(parse_export(&text).into_audit_input(None), &|_| {});
            assert!(report.passed(), "{:?}", report.faults);
            assert_eq!(report.entries_checked, written);
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for writer in writers {
            writer.await.expect("writer");
        }
        assert!(store.circle("garden").await.expect("circle").head_seq > 20);
    };

}
