//! RFC 9162 Merkle trees over a circle's entries: roots, inclusion and consistency proofs.
//!
//! Leaf hash = SHA-256(0x00 || leaf bytes); interior node = SHA-256(0x01 || left || right); the
//! tree of n leaves splits at the largest power of two smaller than n. The verifiers follow
//! RFC 9162 §2.1.3.2 and §2.1.4.2 and take raw byte slices, so that malformed input is refused
//! rather than assumed away.

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::keys::Hash;

/// Why a Merkle proof does not prove what it claims.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ProofError {
    #[error("leaf index {index} is outside a tree of {size} leaves")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("the second tree ({size2} leaves) is smaller than the first ({size1})")]
    SizesOutOfOrder { size1: u64, size2: u64 },
    #[error("a consistency proof needs a first tree of at least one leaf")]
    EmptyFirstTree,
    #[error("a hash in the proof is {0} bytes long, not 32")]
    BadHashLength(usize),
    #[error("the proof has the wrong number of hashes for these tree sizes")]
    WrongLength,
    #[error("the proof leads to a different root")]
    RootMismatch,
}

pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(data);
    Hash(hasher.finalize().into())
}

pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([1u8]);
    hasher.update(left.0);
    hasher.update(right.0);
    Hash(hasher.finalize().into())
}

/// The root of the empty tree: SHA-256 of no bytes.
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

/// The largest power of two strictly smaller than `n` (n ≥ 2).
fn split_point(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The root of the tree whose leaves have these hashes.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split_point(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The audit path of leaf `index` in the tree of all `leaves` (RFC 9162 §2.1.3.1).
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Vec<Hash> {
    assert!(index < leaves.len(), "leaf index outside the tree");
    let mut proof = Vec::new();
    inclusion_path(leaves, index, &mut proof);
    proof
}

fn inclusion_path(leaves: &[Hash], index: usize, proof: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split_point(n);
    if index < k {
        inclusion_path(&leaves[..k], index, proof);
        proof.push(root(&leaves[k..]));
    } else {
        inclusion_path(&leaves[k..], index - k, proof);
        proof.push(root(&leaves[..k]));
    }
}

/// A perfect subtree of a log: the `2^level` leaves from `index * 2^level` on. Level 0 is one
/// leaf. A store that keeps the hash of every perfect subtree (level 1 and up, written as the
/// log grows) answers an inclusion proof with O(log n) reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subtree {
    pub level: u32,
    pub index: u64,
}

/// The perfect subtrees that make up the leaves `[start, start + len)`, largest first, when
/// `start` is a multiple of the largest power of two not above `len` (true of every range the
/// RFC 9162 recursion visits). Their root is `combine` of their hashes.
pub fn decompose(start: u64, len: u64) -> Vec<Subtree> {
    let mut parts = Vec::new();
    let (mut at, mut left) = (start, len);
    while left > 0 {
        let level = 63 - left.leading_zeros();
        parts.push(Subtree {
            level,
            index: at >> level,
        });
        at += 1 << level;
        left -= 1 << level;
    }
    parts
}

/// The root of consecutive perfect subtrees, largest first (the RFC 9162 tree over them).
pub fn combine(hashes: &[Hash]) -> Hash {
    let mut iter = hashes.iter().rev();
    let Some(&last) = iter.next() else {
        return empty_root();
    };
    iter.fold(last, |acc, left| node_hash(left, &acc))
}

/// The subtrees whose roots make the audit path of leaf `index` in a tree of `size` leaves, in
/// proof order: each entry is one proof hash, the `combine` of its subtrees.
pub fn inclusion_plan(index: u64, size: u64) -> Vec<Vec<Subtree>> {
    assert!(index < size, "leaf index outside the tree");
    let mut plan = Vec::new();
    let (mut start, mut n, mut m) = (0u64, size, index);
    let mut steps = Vec::new();
    while n > 1 {
        let k = split_point(n as usize) as u64;
        if m < k {
            steps.push(decompose(start + k, n - k));
            n = k;
        } else {
            steps.push(decompose(start, k));
            start += k;
            n -= k;
            m -= k;
        }
    }
    // The recursion adds the innermost sibling first.
    while let Some(step) = steps.pop() {
        plan.push(step);
    }
    plan
}

/// The subtrees whose roots make the consistency proof from `size1` to `size2` leaves (RFC 9162
/// §2.1.4.1), in proof order: each entry is one proof hash, the `combine` of its subtrees. A
/// store answers the proof in O(log n) reads of stored subtrees.
pub fn consistency_plan(size1: u64, size2: u64) -> Vec<Vec<Subtree>> {
    assert!(
        size1 >= 1 && size1 <= size2,
        "first tree must be a non-empty prefix"
    );
    let mut plan = Vec::new();
    if size1 < size2 {
        subproof_plan(size1, 0, size2, true, &mut plan);
    }
    plan
}

fn subproof_plan(m: u64, start: u64, n: u64, complete: bool, plan: &mut Vec<Vec<Subtree>>) {
    if m == n {
        if !complete {
            plan.push(decompose(start, n));
        }
        return;
    }
    let k = split_point(n as usize) as u64;
    if m <= k {
        subproof_plan(m, start, k, complete, plan);
        plan.push(decompose(start + k, n - k));
    } else {
        subproof_plan(m - k, start + k, n - k, false, plan);
        plan.push(decompose(start, k));
    }
}

/// The proof that the first `size1` leaves form a prefix of all `leaves` (RFC 9162 §2.1.4.1).
pub fn consistency_proof(leaves: &[Hash], size1: usize) -> Vec<Hash> {
    assert!(
        size1 >= 1 && size1 <= leaves.len(),
        "first tree must be a non-empty prefix"
    );
    let mut proof = Vec::new();
    if size1 < leaves.len() {
        subproof(size1, leaves, true, &mut proof);
    }
    proof
}

fn subproof(m: usize, leaves: &[Hash], complete: bool, proof: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !complete {
            proof.push(root(leaves));
        }
        return;
    }
    let k = split_point(n);
    if m <= k {
        subproof(m, &leaves[..k], complete, proof);
        proof.push(root(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, proof);
        proof.push(root(&leaves[..k]));
    }
}

fn as_hash(bytes: &[u8]) -> Result<Hash, ProofError> {
    <[u8; 32]>::try_from(bytes)
        .map(Hash)
        .map_err(|_| ProofError::BadHashLength(bytes.len()))
}

/// Checks that the leaf with hash `leaf` sits at `index` in the tree of `size` leaves with `root`.
pub fn verify_inclusion<P: AsRef<[u8]>>(
    index: u64,
    size: u64,
    leaf: &[u8],
    proof: &[P],
    root: &[u8],
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let expected_root = as_hash(root)?;
    let mut hash = as_hash(leaf)?;
    let mut f_n = index;
    let mut s_n = size - 1;
    for element in proof {
        let element = as_hash(element.as_ref())?;
        if s_n == 0 {
            return Err(ProofError::WrongLength);
        }
        if f_n & 1 == 1 || f_n == s_n {
            hash = node_hash(&element, &hash);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            hash = node_hash(&hash, &element);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::WrongLength);
    }
    if hash != expected_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `size1` leaves with `root1` is a prefix of the tree of `size2` leaves
/// with `root2`.
pub fn verify_consistency<P: AsRef<[u8]>>(
    size1: u64,
    size2: u64,
    proof: &[P],
    root1: &[u8],
    root2: &[u8],
) -> Result<(), ProofError> {
    if size1 == 0 {
        return Err(ProofError::EmptyFirstTree);
    }
    if size2 < size1 {
        return Err(ProofError::SizesOutOfOrder { size1, size2 });
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if root1 == root2 {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    let first_root = as_hash(root1)?;
    let second_root = as_hash(root2)?;
    let mut path: Vec<Hash> = proof
        .iter()
        .map(|p| as_hash(p.as_ref()))
        .collect::<Result<_, _>>()?;
    if size1.is_power_of_two() {
        path.insert(0, first_root);
    }
    let Some((&first, rest)) = path.split_first() else {
        return Err(ProofError::WrongLength);
    };
    let mut f_n = size1 - 1;
    let mut s_n = size2 - 1;
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let mut f_r = first;
    let mut s_r = first;
    for element in rest {
        if s_n == 0 {
            return Err(ProofError::WrongLength);
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node_hash(element, &f_r);
            s_r = node_hash(element, &s_r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            s_r = node_hash(&s_r, element);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::WrongLength);
    }
    if f_r != first_root || s_r != second_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The right edge of a growing tree (its perfect subtrees, largest first): appends in O(1)
/// amortised and gives the root in O(log n) without keeping the leaves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// (height, hash) of each perfect subtree, heights strictly decreasing.
    peaks: Vec<(u32, Hash)>,
}

impl Frontier {
    pub fn size(&self) -> u64 {
        self.size
    }
    pub fn push(&mut self, leaf: Hash) {
        self.push_collecting(leaf, &mut Vec::new());
    }
    /// Pushes a leaf and adds every perfect subtree it completes to `completed`, as
    /// [`Subtree`]s with their hashes (what a store keeps to answer proofs without the leaves).
    pub fn push_collecting(&mut self, leaf: Hash, completed: &mut Vec<(Subtree, Hash)>) {
        let mut node = (0u32, leaf);
        let end = self.size + 1;
        while let Some(&(height, left)) = self.peaks.last() {
            if height != node.0 {
                break;
            }
            self.peaks.pop();
            node = (height + 1, node_hash(&left, &node.1));
            let level = height + 1;
            completed.push((
                Subtree {
                    level,
                    index: (end >> level) - 1,
                },
                node.1,
            ));
        }
        self.peaks.push(node);
        self.size = end;
    }
    pub fn root(&self) -> Hash {
        let mut iter = self.peaks.iter().rev();
        let Some(&(_, mut acc)) = iter.next() else {
            return empty_root();
        };
        for (_, left) in iter {
            acc = node_hash(left, &acc);
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_consistency_plan_gives_the_same_proof_as_the_leaves() {
        let leaves: Vec<Hash> = (0u8..40).map(|i| leaf_hash(&[i])).collect();
        for size2 in 1..=leaves.len() {
            for size1 in 1..=size2 {
                let planned: Vec<Hash> = consistency_plan(size1 as u64, size2 as u64)
                    .iter()
                    .map(|parts| {
                        let hashes: Vec<Hash> = parts
                            .iter()
                            .map(|part| {
                                let start = (part.index << part.level) as usize;
                                root(&leaves[start..start + (1usize << part.level)])
                            })
                            .collect();
                        combine(&hashes)
                    })
                    .collect();
                assert_eq!(
                    planned,
                    consistency_proof(&leaves[..size2], size1),
                    "{size1} → {size2}"
                );
            }
        }
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(&(i as u64).to_be_bytes()))
            .collect()
    }

    #[test]
    fn frontier_matches_recursive_root() {
        let all = leaves(70);
        let mut frontier = Frontier::default();
        assert_eq!(frontier.root(), empty_root());
        for (i, leaf) in all.iter().enumerate() {
            frontier.push(*leaf);
            assert_eq!(frontier.root(), root(&all[..=i]), "size {}", i + 1);
        }
    }

    #[test]
    fn generated_proofs_verify_and_tampered_ones_do_not() {
        let all = leaves(37);
        for n in 1..=all.len() {
            let tree = &all[..n];
            let tree_root = root(tree);
            for i in 0..n {
                let proof = inclusion_proof(tree, i);
                assert_eq!(
                    verify_inclusion(i as u64, n as u64, &tree[i].0, &proof, &tree_root.0),
                    Ok(())
                );
                if let Some(first) = proof.first() {
                    let mut bad = proof.clone();
                    bad[0] = node_hash(first, first);
                    assert!(
                        verify_inclusion(i as u64, n as u64, &tree[i].0, &bad, &tree_root.0)
                            .is_err()
                    );
                }
            }
            for m in 1..=n {
                let proof = consistency_proof(tree, m);
                let old_root = root(&tree[..m]);
                assert_eq!(
                    verify_consistency(m as u64, n as u64, &proof, &old_root.0, &tree_root.0),
                    Ok(()),
                    "{m} {n}"
                );
                if m < n {
                    assert!(verify_consistency(
                        m as u64,
                        n as u64,
                        &proof,
                        &tree_root.0,
                        &old_root.0
                    )
                    .is_err());
                }
            }
        }
    }

    #[test]
    fn inclusion_proofs_from_stored_subtrees_equal_proofs_from_the_leaves() {
        for n in 1..=70usize {
            let all = leaves(n);
            let mut frontier = Frontier::default();
            let mut stored = std::collections::HashMap::new();
            for (i, leaf) in all.iter().enumerate() {
                stored.insert(
                    Subtree {
                        level: 0,
                        index: i as u64,
                    },
                    *leaf,
                );
                let mut completed = Vec::new();
                frontier.push_collecting(*leaf, &mut completed);
                stored.extend(completed);
            }
            assert_eq!(frontier.root(), root(&all));
            for m in 0..n {
                let from_plan: Vec<Hash> = inclusion_plan(m as u64, n as u64)
                    .iter()
                    .map(|parts| {
                        let hashes: Vec<Hash> = parts.iter().map(|p| stored[p]).collect();
                        combine(&hashes)
                    })
                    .collect();
                assert_eq!(from_plan, inclusion_proof(&all, m), "leaf {m} of {n}");
                let reads: usize = inclusion_plan(m as u64, n as u64)
                    .iter()
                    .map(Vec::len)
                    .sum();
                assert!(reads <= 2 * 64, "O(log n) reads");
            }
        }
    }
}
