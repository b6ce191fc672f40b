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
        let mut node = (0u32, leaf);
        while let Some(&(height, left)) = self.peaks.last() {
            if height != node.0 {
                break;
            }
            self.peaks.pop();
            node = (height + 1, node_hash(&left, &node.1));
        }
        self.peaks.push(node);
        self.size += 1;
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
}
