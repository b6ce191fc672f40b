//! The bodies of the fuzz targets (`fuzz/fuzz_targets/`): each takes untrusted bytes to one
//! decoder and must never panic, whatever the bytes. `tests/fuzz_corpora.rs` replays every
//! kept corpus file through the same functions, so CI catches a regression without a fuzzer.

use commons_governance::ballot::SignedBallot;
use commons_governance::delegation::SignedDelegation;
use commons_ledger::audit::audit;
use commons_ledger::entry::SignedRequest;
use commons_ledger::export::parse_export;
use commons_ledger::keys::Signature;

/// Splits fuzz input into a 64-byte signature and the rest (for signed records).
fn signature_and_bytes(data: &[u8]) -> (Signature, Vec<u8>) {
    let mut signature = [0u8; 64];
    let take = data.len().min(64);
    signature[..take].copy_from_slice(&data[..take]);
    (Signature(signature), data[take..].to_vec())
}

/// A ledger export, parsed and audited (the offline auditor's whole path).
pub fn export_audit(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let report = audit(parse_export(&text).into_audit_input(None), &|_| {});
    let _ = report.passed();
}

/// Signed requests, ballots and delegations from their bytes.
pub fn signed_records(data: &[u8]) {
    let (signature, bytes) = signature_and_bytes(data);
    if let Ok(signed) = SignedRequest::from_parts(bytes.clone(), signature) {
        let _ = signed.signature_is_valid();
        let _ = signed.record.encode();
    }
    if let Ok(ballot) = SignedBallot::from_parts(bytes.clone(), signature) {
        let _ = ballot.receipt();
    }
    let _ = SignedDelegation::from_parts(bytes, signature);
}

/// A BLT ballot file, parsed, written back and counted when it parses.
pub fn blt(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(election) = commons_governance::blt::parse(&text) {
        let _ = commons_governance::blt::write(&election);
        if election.candidates.len() <= 16 && election.ballots.len() <= 1_000 {
            let lot = commons_governance::ranked::Lot {
                seed: commons_ledger::keys::Hash([0; 32]),
            };
            let _ =
                commons_governance::irv::count(election.candidates.len(), &election.ballots, &lot);
        }
    }
}

/// A ballot export (`commons tally --file`), parsed and recounted when it parses.
pub fn ballot_export(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(export) = commons_governance::export::parse(&text) {
        let ballots: Vec<_> = export.ballots.iter().flatten().cloned().collect();
        let delegations: Vec<_> = export.delegations.iter().flatten().cloned().collect();
        let _ = commons_governance::tally::recount(&export.definition, &ballots, &delegations);
    }
}

/// Members' Markdown (descriptions, proposals, comments) rendered and cleaned.
pub fn markdown(data: &[u8]) {
    let _ = commons_market::markdown::render(&String::from_utf8_lossy(data));
}

/// A photo upload, decoded within bounds and re-encoded.
pub fn photo(data: &[u8]) {
    let _ = commons_market::photo::process(data);
}

/// The forms members type: amounts, display names, listing fields.
pub fn forms(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for decimals in 0..=4 {
        if let Ok(decimals) = commons_ledger::amount::Decimals::new(decimals) {
            let _ = decimals.parse_minor(&text);
        }
    }
    let _ = text.parse::<commons_web::names::DisplayName>();
    let _ = text.parse::<commons_web::names::Username>();
    let _ = commons_web::names::bounded_text(&text, 600);
    let mut fields = text.split('\u{1f}').map(str::to_owned);
    let mut next = || fields.next().unwrap_or_default();
    let form = commons_market::listing::ListingForm {
        side: next(),
        kind: next(),
        title: next(),
        description: next(),
        category: next(),
        tags: next(),
        area: next(),
        location: next(),
        value_kind: next(),
        amount_minor: None,
        availability: next(),
        expires_in_days: next(),
    };
    let _ = form.parse(commons_market::text::Language::English, |_| true, None);
}

/// The JSON bodies the API reads (payments, signed entries, ballots): parsed from the bytes.
pub fn api_bodies(data: &[u8]) {
    let _ = serde_json::from_slice::<serde_json::Value>(data);
    let _ = commons_web::api_doc::decode_bodies(data);
}

/// A circle's moderation log export, checked offline (`commons audit --moderation`), and a
/// moderation action from its bytes.
pub fn moderation_log(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let report = commons_governance::moderation::verify_log(&text, None);
    let _ = report.is_clean();
    let (signature, bytes) = signature_and_bytes(data);
    if let Ok(action) = commons_governance::moderation::SignedAction::from_parts(bytes, signature) {
        let _ = action.signature_is_valid();
        let _ = action.record.encode();
    }
}

/// A member's ledger statement from a takeout, checked offline (`commons audit --statement`).
pub fn statement(data: &[u8]) {
    let report = commons_ledger::statement::verify_statement(&String::from_utf8_lossy(data));
    let _ = report.is_clean();
}

/// What another node sends: a relay or an answer (JSON), checked against a link's terms; and
/// two exports and the heads one kept of the other (split at NULs) audited against each other
/// (`commons audit --link A B --held H`).
pub fn relay(data: &[u8]) {
    use commons_ledger::crossing::LinkTerms;
    use commons_ledger::keys::{Hash, SecretKey};
    use commons_ledger::link_audit::{audit_link, check_held_heads, parse_held_heads, Side};
    use commons_ledger::relay::{check_completed, check_relay, Answer, Relay};
    let terms = LinkTerms {
        partner: Hash([1; 32]),
        partner_node_key: SecretKey::from_seed([2; 32]).public_key(),
        address: String::new(),
        rate_here_minor: 3,
        rate_there_minor: 7,
        out_max_minor: 1000,
        in_max_minor: 1000,
        shares_market: false,
        trust: commons_ledger::crossing::LinkTrust::Proved,
    };
    let me = Hash([3; 32]);
    if let Ok(relay) = serde_json::from_slice::<Relay>(data) {
        let _ = check_relay(&relay, &terms, &me);
    }
    if let Ok(Answer::Completed { entry, head, .. }) = serde_json::from_slice::<Answer>(data) {
        let _ = check_completed(&entry, &head, &terms, &me, &Hash([4; 32]));
    }
    let text = String::from_utf8_lossy(data);
    let (a, rest) = text.split_once('\0').unwrap_or((&text, ""));
    let (b, held) = rest.split_once('\0').unwrap_or((rest, ""));
    let (heads, _) = parse_held_heads(held);
    let report_a = audit(parse_export(a).into_audit_input(None), &|_| {});
    let report_b = audit(parse_export(b).into_audit_input(None), &|_| {});
    if let (Some(state_a), Some(state_b)) = (&report_a.state, &report_b.state) {
        let (side_a, side_b) = (
            Side::new(state_a, &parse_export(a)),
            Side::new(state_b, &parse_export(b)),
        );
        let mut report = audit_link(&side_a, &side_b);
        check_held_heads(&side_a, &side_b, &heads, &mut report);
        let _ = report.passed();
    }
}
