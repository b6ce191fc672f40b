//! The JSON Lines export of a circle's ledger: a header, one signed entry per line, the latest
//! signed tree head. Strict on input (lowercase hex, no unknown fields) so that any changed byte
//! is either refused or changes a signed value.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::entry::{Entry, TreeHead};
use crate::keys::{decode_hex, decode_hex_vec, Hash, KeyError, Signature};

pub const EXPORT_FORMAT: &str = "commons-ledger-export";
pub const EXPORT_VERSION: u16 = 1;

/// One line of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Line {
    Header(HeaderLine),
    Entry(EntryLine),
    TreeHead(TreeHeadLine),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderLine {
    pub format: String,
    pub version: u16,
    pub circle_id: String,
    pub slug: String,
    pub name: String,
    /// The key that signs tree heads, as named in the genesis entry.
    pub node_key: String,
    /// The steward keys at the time of export.
    pub steward_keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryLine {
    pub seq: u64,
    pub prev_hash: String,
    pub recorded_at_ms: i64,
    /// The canonical request bytes the author signed, in hex.
    pub request: String,
    pub signature: String,
    /// The entry hash (RFC 9162 leaf hash of the entry bytes).
    pub hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memo: Option<MemoLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoLine {
    pub salt: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeHeadLine {
    pub circle_id: String,
    pub tree_size: u64,
    pub root: String,
    pub timestamp_ms: i64,
    pub signature: String,
}

/// A memo's text with the salt its commitment was made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Memo {
    pub salt: [u8; 16],
    pub text: String,
}

/// An entry as found in an export or a store, before anything about it is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEntry {
    pub seq: u64,
    pub prev_hash: Hash,
    pub recorded_at_ms: i64,
    pub request: Vec<u8>,
    pub signature: Signature,
    /// The hash the source claims for the entry, if it states one.
    pub claimed_hash: Option<Hash>,
    pub memo: Option<Memo>,
}

impl RawEntry {
    pub fn from_entry(entry: &Entry, memo: Option<Memo>) -> RawEntry {
        RawEntry {
            seq: entry.seq,
            prev_hash: entry.prev_hash,
            recorded_at_ms: entry.recorded_at_ms,
            request: entry.signed.bytes.clone(),
            signature: entry.signed.signature,
            claimed_hash: Some(entry.hash()),
            memo,
        }
    }
}

impl EntryLine {
    pub fn from_raw(raw: &RawEntry, hash: &Hash) -> EntryLine {
        EntryLine {
            seq: raw.seq,
            prev_hash: raw.prev_hash.to_hex(),
            recorded_at_ms: raw.recorded_at_ms,
            request: hex::encode(&raw.request),
            signature: raw.signature.to_hex(),
            hash: hash.to_hex(),
            memo: raw.memo.as_ref().map(|memo| MemoLine {
                salt: hex::encode(memo.salt),
                text: memo.text.clone(),
            }),
        }
    }

    pub fn to_raw(&self) -> Result<RawEntry, KeyError> {
        let bad = |what: &str| KeyError::BadHex {
            expected: 0,
            found: what.to_owned(),
        };
        Ok(RawEntry {
            seq: self.seq,
            prev_hash: Hash::from_hex(&self.prev_hash)?,
            recorded_at_ms: self.recorded_at_ms,
            request: decode_hex_vec(&self.request).ok_or_else(|| bad("request"))?,
            signature: Signature::from_hex(&self.signature)?,
            claimed_hash: Some(Hash::from_hex(&self.hash)?),
            memo: match &self.memo {
                None => None,
                Some(memo) => Some(Memo {
                    salt: decode_hex::<16>(&memo.salt)?,
                    text: memo.text.clone(),
                }),
            },
        })
    }
}

impl TreeHeadLine {
    pub fn from_head(head: &TreeHead) -> TreeHeadLine {
        TreeHeadLine {
            circle_id: head.circle_id.to_hex(),
            tree_size: head.tree_size,
            root: head.root.to_hex(),
            timestamp_ms: head.timestamp_ms,
            signature: head.signature.to_hex(),
        }
    }
    pub fn to_head(&self) -> Result<TreeHead, KeyError> {
        Ok(TreeHead {
            circle_id: Hash::from_hex(&self.circle_id)?,
            tree_size: self.tree_size,
            root: Hash::from_hex(&self.root)?,
            timestamp_ms: self.timestamp_ms,
            signature: Signature::from_hex(&self.signature)?,
        })
    }
}

/// A parsed export: every line is kept, readable or not, so the auditor can name each fault.
#[derive(Debug, Default)]
pub struct ParsedExport {
    pub header: Option<HeaderLine>,
    /// One item per entry line: the entry, or why the line could not be read.
    pub entries: Vec<Result<RawEntry, String>>,
    pub tree_head: Option<TreeHead>,
    /// Problems with lines that are not entries (header, tree head, stray lines).
    pub problems: Vec<String>,
}

/// Parses an export's text; never fails, but records every unreadable line.
pub fn parse_export(text: &str) -> ParsedExport {
    let mut parsed = ParsedExport::default();
    let lines: Vec<&str> = text.split('\n').collect();
    let lines: &[&str] = match lines.split_last() {
        Some((&"", rest)) => rest,
        _ => {
            parsed
                .problems
                .push("the export does not end with a newline (it may be cut short)".into());
            &lines
        }
    };
    // Lines are independent, so they are parsed in parallel and then sorted into place.
    let results: Vec<Result<Line, String>> = lines
        .par_iter()
        .map(|line| serde_json::from_str::<Line>(line).map_err(|error| error.to_string()))
        .collect();
    let entries: Vec<Option<Result<RawEntry, String>>> = results
        .par_iter()
        .enumerate()
        .map(|(index, result)| {
            let line_number = index + 1;
            if index == 0 || index + 1 == lines.len() {
                return None;
            }
            Some(match result {
                Ok(Line::Entry(entry)) => entry
                    .to_raw()
                    .map_err(|error| format!("line {line_number}: {error}")),
                Ok(_) => Err(format!("line {line_number} should be an entry")),
                Err(error) => Err(format!(
                    "line {line_number} is not a valid export line: {error}"
                )),
            })
        })
        .collect();
    for (index, (result, entry)) in results.into_iter().zip(entries).enumerate() {
        let line_number = index + 1;
        if let Some(entry) = entry {
            parsed.entries.push(entry);
            continue;
        }
        let what = if index == 0 {
            "a header"
        } else {
            "a tree head"
        };
        match result {
            Ok(Line::Header(header)) if index == 0 => parsed.header = Some(header),
            Ok(Line::TreeHead(head)) if index != 0 => match head.to_head() {
                Ok(head) => parsed.tree_head = Some(head),
                Err(error) => parsed
                    .problems
                    .push(format!("line {line_number} (tree head): {error}")),
            },
            Ok(_) => parsed
                .problems
                .push(format!("line {line_number} should be {what}")),
            Err(error) => parsed.problems.push(format!(
                "line {line_number} is not a valid export line: {error}"
            )),
        }
    }
    if parsed.tree_head.is_none() && lines.len() < 2 {
        parsed
            .problems
            .push("the export has no signed tree head line".into());
    }
    parsed
}

/// The header line describing a circle as its state stands.
pub fn header_for(state: &crate::state::CircleState) -> HeaderLine {
    HeaderLine {
        format: EXPORT_FORMAT.to_owned(),
        version: EXPORT_VERSION,
        circle_id: state.circle_id.to_hex(),
        slug: state.spec.slug.clone(),
        name: state.spec.name.clone(),
        node_key: state.node_key.to_hex(),
        steward_keys: state.stewards.iter().map(|key| key.to_hex()).collect(),
    }
}

/// One line of export text, with its newline.
pub fn line_text(line: &Line) -> String {
    let mut text = serde_json::to_string(line).expect("export lines always serialise");
    text.push('\n');
    text
}

/// The whole export text: header, one line per entry, the tree head.
pub fn export_text(header: HeaderLine, entries: &[RawEntry], head: &TreeHead) -> String {
    let mut text = line_text(&Line::Header(header));
    for raw in entries {
        let hash = raw.claimed_hash.unwrap_or_else(|| {
            crate::merkle::leaf_hash(&crate::entry::entry_bytes(
                raw.seq,
                &raw.prev_hash,
                raw.recorded_at_ms,
                &raw.request,
                &raw.signature,
            ))
        });
        text.push_str(&line_text(&Line::Entry(EntryLine::from_raw(raw, &hash))));
    }
    text.push_str(&line_text(&Line::TreeHead(TreeHeadLine::from_head(head))));
    text
}

impl ParsedExport {
    /// What the auditor needs from this export, with an optional trusted older tree head.
    pub fn into_audit_input(self, trusted_head: Option<TreeHead>) -> crate::audit::AuditInput {
        crate::audit::AuditInput {
            header: self.header,
            entries: self.entries,
            tree_head: self.tree_head,
            trusted_head,
            problems: self.problems,
        }
    }
}
