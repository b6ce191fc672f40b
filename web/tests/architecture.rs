//! Keeps the web crate's layering true: handlers reach the stores only through feature
//! services, services hold no handlers, membership is checked by extractors alone, and every
//! module says what it is for.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `web/src`, with its text.
fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("web/src is readable")
            .map(|entry| entry.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                out.push((path, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    assert!(out.len() > 40, "found the sources");
    out
}

/// The source without its `#[cfg(test)] mod tests` (tests may reach anywhere).
fn production(text: &str) -> &str {
    text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text)
}

fn is_handler_file(text: &str) -> bool {
    text.contains("State(state)")
}

fn is_service_file(text: &str) -> bool {
    text.contains("impl Services {")
}

/// Services' stores and secrets, by field or by public accessor.
const SERVICE_INSIDES: [&str; 11] = [
    "db",
    "store",
    "market",
    "governance",
    "keyring",
    "cost",
    "verified",
    "password_limits",
    "argon2",
    "audits",
    "node_db",
];

/// Where `code` (whitespace removed, so a chain split over lines still shows) names one of
/// Services' insides: `services.store`, `services.store()`, ...
fn reaches_inside(code: &str) -> Option<&'static str> {
    let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    SERVICE_INSIDES.into_iter().find(|inside| {
        let needle = format!("services.{inside}");
        compact.match_indices(&needle).any(|(at, _)| {
            let next = compact[at + needle.len()..].chars().next();
            !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    })
}

#[test]
fn handlers_reach_the_stores_only_through_feature_services() {
    let offenders: Vec<_> = sources()
        .into_iter()
        .filter_map(|(path, text)| {
            let code = production(&text);
            if !is_handler_file(code) {
                return None;
            }
            reaches_inside(code).map(|inside| format!("{} uses services.{inside}", path.display()))
        })
        .collect();
    assert!(offenders.is_empty(), "{offenders:#?}");
}

#[test]
fn the_check_for_reaching_inside_sees_chains_split_over_lines() {
    assert_eq!(
        reaches_inside("state\n  .services\n  .db\n  .user(1)"),
        Some("db")
    );
    assert_eq!(
        reaches_inside("state.services.store().circle(x)"),
        Some("store")
    );
    assert_eq!(reaches_inside("state.services.market_page(x)"), None);
    assert_eq!(reaches_inside("state.services.directory(x)"), None);
}

#[test]
fn feature_services_hold_no_handlers() {
    let offenders: Vec<_> = sources()
        .into_iter()
        .filter(|(_, text)| {
            let code = production(text);
            is_service_file(code) && is_handler_file(code)
        })
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "{offenders:#?}");
}

#[test]
fn only_the_extractors_look_up_who_acts_in_a_circle() {
    // `Services::actor` turns a path's circle into an active member (or not found); the
    // `Actor`, `Steward` and `ApiActor` extractors call it, and the demo seeding (`demo/mod.rs`,
    // and `demo/neighbours.rs` for the demo's second circle).
    let allowed = [
        "http/extract.rs",
        "http/api.rs",
        "demo/mod.rs",
        "demo/neighbours.rs",
    ];
    let offenders: Vec<_> = sources()
        .into_iter()
        .filter(|(path, text)| {
            let compact: String = production(text)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            !allowed.iter().any(|end| path.ends_with(end)) && compact.contains("services.actor(")
        })
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "{offenders:#?}");
}

#[test]
fn every_module_starts_with_a_sentence_of_what_it_is_for() {
    let offenders: Vec<_> = sources()
        .into_iter()
        .filter(|(_, text)| !text.starts_with("//!"))
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "{offenders:#?}");
}

#[test]
fn no_source_file_is_over_800_lines() {
    let offenders: Vec<_> = sources()
        .into_iter()
        .filter(|(_, text)| text.lines().count() > 800)
        .map(|(path, text)| format!("{}: {} lines", path.display(), text.lines().count()))
        .collect();
    assert!(offenders.is_empty(), "{offenders:#?}");
}
