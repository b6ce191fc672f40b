//! Every file of every fuzz corpus (`fuzz/corpus/<target>/`) replayed through its target's body
//! (`commons_tests::fuzz`): what the fuzzer found interesting stays tested, without a fuzzer.

use std::path::Path;

use commons_tests::fuzz;

fn replay(target: &str, body: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("the corpus {} is missing: {error}", dir.display()));
    let mut replayed = 0;
    for entry in entries {
        let path = entry.expect("a corpus entry").path();
        if path.is_file() {
            body(&std::fs::read(&path).expect("a corpus file"));
            replayed += 1;
        }
    }
    assert!(replayed > 0, "the corpus {target} is empty");
}

#[test]
fn the_export_and_audit_corpus_never_panics() {
    replay("export_audit", fuzz::export_audit);
}

#[test]
fn the_signed_records_corpus_never_panics() {
    replay("signed_records", fuzz::signed_records);
}

#[test]
fn the_blt_corpus_never_panics() {
    replay("blt", fuzz::blt);
}

#[test]
fn the_ballot_export_corpus_never_panics() {
    replay("ballot_export", fuzz::ballot_export);
}

#[test]
fn the_markdown_corpus_never_panics() {
    replay("markdown", fuzz::markdown);
}

#[test]
fn the_photo_corpus_never_panics() {
    replay("photo", fuzz::photo);
}

#[test]
fn the_forms_corpus_never_panics() {
    replay("forms", fuzz::forms);
}

#[test]
fn the_api_bodies_corpus_never_panics() {
    replay("api_bodies", fuzz::api_bodies);
}

#[test]
fn the_moderation_log_corpus_never_panics() {
    replay("moderation_log", fuzz::moderation_log);
}

#[test]
fn the_statement_corpus_never_panics() {
    replay("statement", fuzz::statement);
}

#[test]
fn the_relay_and_link_audit_corpus_never_panics() {
    replay("relay", fuzz::relay);
}
