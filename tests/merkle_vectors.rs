//! The ledger's Merkle proof verifiers against Certificate Transparency's RFC 9162 test vectors.

use std::path::{Path, PathBuf};

use base64::Engine;
use commons_ledger::merkle::{verify_consistency, verify_inclusion};
use serde_json::Value;

fn vector_files(kind: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/merkle-vectors")
        .join(kind);
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).expect("vector folder exists") {
        let dir = dir.expect("readable").path();
        for file in std::fs::read_dir(&dir).expect("readable") {
            let path = file.expect("readable").path();
            if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn b64(value: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(value.as_str().unwrap_or_default())
        .expect("base64")
}

fn proof(value: &Value) -> Vec<Vec<u8>> {
    value
        .as_array()
        .map(|items| items.iter().map(b64).collect())
        .unwrap_or_default()
}

fn load(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("json")
}

#[test]
fn inclusion_vectors() {
    let files = vector_files("inclusion");
    assert!(
        files.len() > 80,
        "expected the whole vector set, found {}",
        files.len()
    );
    let (mut accepted, mut rejected) = (0, 0);
    for path in files {
        let v = load(&path);
        let result = verify_inclusion(
            v["leafIdx"].as_u64().expect("leafIdx"),
            v["treeSize"].as_u64().expect("treeSize"),
            &b64(&v["leafHash"]),
            &proof(&v["proof"]),
            &b64(&v["root"]),
        );
        let want_err = v["wantErr"].as_bool().expect("wantErr");
        assert_eq!(result.is_err(), want_err, "{}: {result:?}", path.display());
        if want_err {
            rejected += 1
        } else {
            accepted += 1
        }
    }
    assert!(
        accepted >= 5 && rejected >= 50,
        "accepted {accepted}, rejected {rejected}"
    );
}

#[test]
fn consistency_vectors() {
    let files = vector_files("consistency");
    assert!(
        files.len() > 80,
        "expected the whole vector set, found {}",
        files.len()
    );
    let (mut accepted, mut rejected) = (0, 0);
    for path in files {
        let v = load(&path);
        let result = verify_consistency(
            v["size1"].as_u64().expect("size1"),
            v["size2"].as_u64().expect("size2"),
            &proof(&v["proof"]),
            &b64(&v["root1"]),
            &b64(&v["root2"]),
        );
        let want_err = v["wantErr"].as_bool().expect("wantErr");
        assert_eq!(result.is_err(), want_err, "{}: {result:?}", path.display());
        if want_err {
            rejected += 1
        } else {
            accepted += 1
        }
    }
    assert!(
        accepted >= 5 && rejected >= 50,
        "accepted {accepted}, rejected {rejected}"
    );
}
