//! Keys, signatures, hashes and nonces: the parsed newtypes every other module works with.

use std::fmt;
use std::str::FromStr;

use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_zebra::{SigningKey, VerificationKey};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use thiserror::Error;
use zeroize::Zeroizing;

/// Why some text or bytes are not a usable key, hash or signature.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum KeyError {
    #[error("expected {expected} lowercase hexadecimal characters, found {found:?}")]
    BadHex { expected: usize, found: String },
    #[error("this is not a valid ed25519 public key (not a canonical curve point)")]
    NotAPoint,
    #[error("this public key is a weak (small-order) key that anyone could sign for; make a new key with `commons keygen`")]
    WeakKey,
    #[error("this is not a commons secret key file (expected a line starting with `{SECRET_KEY_PREFIX}`)")]
    NotASecretKeyFile,
}

/// The first word of the one meaningful line of a secret key file.
pub const SECRET_KEY_PREFIX: &str = "commons-secret-key-v1";

/// Decodes exactly `N` bytes of strictly lowercase hex: one value has one spelling.
pub fn decode_hex<const N: usize>(text: &str) -> Result<[u8; N], KeyError> {
    let bad = || KeyError::BadHex {
        expected: N * 2,
        found: text.chars().take(80).collect(),
    };
    if text.len() != N * 2
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(bad());
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).map_err(|_| bad())?;
    Ok(out)
}

/// Decodes strictly lowercase hex of any length.
pub fn decode_hex_vec(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2)
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    hex::decode(text).ok()
}

macro_rules! fixed_bytes {
    ($name:ident, $len:expr, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            pub const LEN: usize = $len;
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
            pub fn from_hex(text: &str) -> Result<Self, KeyError> {
                decode_hex::<$len>(text).map(Self)
            }
        }
        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }
    };
}

fixed_bytes!(
    Hash,
    32,
    "A SHA-256 digest: entry hashes, Merkle nodes, memo commitments, circle ids."
);
fixed_bytes!(
    Nonce,
    16,
    "A per-author random value that makes every signed request unique."
);
fixed_bytes!(Signature, 64, "An ed25519 signature (R || s).");

impl Hash {
    pub const ZERO: Hash = Hash([0u8; 32]);
    /// The first 12 hex characters, for messages and tables.
    pub fn short(&self) -> String {
        self.to_hex()[..12].to_owned()
    }
    pub fn sha256(parts: &[&[u8]]) -> Hash {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update(part);
        }
        Hash(hasher.finalize().into())
    }
}

impl Nonce {
    pub fn random() -> Nonce {
        let mut bytes = [0u8; 16];
        OsRng.fill_bytes(&mut bytes);
        Nonce(bytes)
    }
    /// A nonce derived from its parts (the first 16 bytes of their SHA-256): the same parts
    /// always give the same nonce, so a retried request is the very same signed request.
    pub fn derived(parts: &[&[u8]]) -> Nonce {
        let digest = Hash::sha256(parts);
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest.0[..16]);
        Nonce(bytes)
    }
}

/// An ed25519 public key that is a canonical encoding of a curve point of large order.
///
/// Small-order ("weak") keys are refused when parsed: with ZIP-215 verification anyone can make a
/// signature that verifies under them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; 32]);

impl PublicKey {
    /// Parses a key offered from outside, refusing non-points, non-canonical encodings and weak keys.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<PublicKey, KeyError> {
        let key = PublicKey(bytes);
        key.check_strong()?;
        Ok(key)
    }

    /// Takes 32 bytes as a key without curve checks (decompression costs as much as a third of
    /// a signature check). Used when decoding entries: keys are checked with
    /// [`PublicKey::check_strong`] by the rules when they enter a circle, and a signature never
    /// verifies under bytes that are not a point.
    pub fn from_raw(bytes: [u8; 32]) -> PublicKey {
        PublicKey(bytes)
    }

    /// Whether this is a canonical encoding of a point of large order.
    pub fn check_strong(&self) -> Result<(), KeyError> {
        let point = CompressedEdwardsY(self.0)
            .decompress()
            .ok_or(KeyError::NotAPoint)?;
        if point.compress().0 != self.0 {
            return Err(KeyError::NotAPoint);
        }
        if point.is_small_order() {
            return Err(KeyError::WeakKey);
        }
        Ok(())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
    /// The first 8 hex characters, for messages and tables where the whole key would not fit.
    pub fn short(&self) -> String {
        self.to_hex()[..8].to_owned()
    }
    /// Checks one signature under the ZIP-215 rules (the same rules batch verification uses).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        let Ok(key) = VerificationKey::try_from(self.0) else {
            return false;
        };
        key.verify(&ed25519_zebra::Signature::from_bytes(&signature.0), message)
            .is_ok()
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        PublicKey::from_bytes(decode_hex::<32>(text.trim())?)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}
impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// An ed25519 signing key; its seed is wiped from memory when dropped.
pub struct SecretKey {
    seed: Zeroizing<[u8; 32]>,
    signing: SigningKey,
    public: PublicKey,
}

impl SecretKey {
    pub fn generate() -> SecretKey {
        let mut seed = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(seed.as_mut());
        SecretKey::from_seed(*seed)
    }
    pub fn from_seed(seed: [u8; 32]) -> SecretKey {
        let signing = SigningKey::from(seed);
        let public_bytes: [u8; 32] = VerificationKey::from(&signing).into();
        // A key derived from a seed by hashing is of large order unless SHA-512 is broken.
        let public = PublicKey::from_bytes(public_bytes).expect("derived keys are never weak");
        SecretKey {
            seed: Zeroizing::new(seed),
            signing,
            public,
        }
    }
    pub fn public_key(&self) -> PublicKey {
        self.public
    }
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.signing.sign(message).to_bytes())
    }
    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }
    /// The text of a secret key file: a comment naming the public key, then the seed.
    pub fn to_file_text(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "# Commons secret key. Keep this file private: whoever holds it can sign as you.\n# public key: {}\n{} {}\n",
            self.public.to_hex(),
            SECRET_KEY_PREFIX,
            hex::encode(self.seed.as_ref())
        ))
    }
    pub fn from_file_text(text: &str) -> Result<SecretKey, KeyError> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|line| line.starts_with(SECRET_KEY_PREFIX))
            .ok_or(KeyError::NotASecretKeyFile)?;
        let seed_hex = line[SECRET_KEY_PREFIX.len()..].trim();
        let seed = Zeroizing::new(decode_hex::<32>(seed_hex)?);
        Ok(SecretKey::from_seed(*seed))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(public {})", self.public)
    }
}

/// How many signatures to verify per batch so that `total` signatures keep every core busy:
/// larger batches share more work (same-key terms coalesce), but there must be one per core.
pub fn batch_size_for(total: usize) -> usize {
    let per_core = total.div_ceil(rayon::current_num_threads().max(1));
    per_core.clamp(64, 2048)
}

/// Verifies many (key, message, signature) triples at once; the same ZIP-215 rules as
/// [`PublicKey::verify`], so a batch passes exactly when every member would pass alone.
/// Returns the indices that fail (empty when all pass).
pub fn verify_batch(items: &[(PublicKey, &[u8], Signature)]) -> Vec<usize> {
    let mut failed = Vec::new();
    verify_batch_into(items, 0, &mut failed);
    failed
}

/// Below this many items a failed batch is checked one by one; above it, it is halved, so that
/// one bad signature in a large batch costs a few small batches, not a thousand single checks.
const BATCH_SPLIT_BELOW: usize = 32;

fn verify_batch_into(
    items: &[(PublicKey, &[u8], Signature)],
    offset: usize,
    failed: &mut Vec<usize>,
) {
    if items.is_empty() {
        return;
    }
    let mut verifier = ed25519_zebra::batch::Verifier::new();
    for (key, message, signature) in items {
        let key_bytes = ed25519_zebra::VerificationKeyBytes::from(key.0);
        verifier.queue((
            key_bytes,
            ed25519_zebra::Signature::from_bytes(&signature.0),
            message,
        ));
    }
    if verifier.verify(OsRng).is_ok() {
        return;
    }
    if items.len() < BATCH_SPLIT_BELOW {
        for (index, (key, message, signature)) in items.iter().enumerate() {
            if !key.verify(message, signature) {
                failed.push(offset + index);
            }
        }
        return;
    }
    let (left, right) = items.split_at(items.len() / 2);
    verify_batch_into(left, offset, failed);
    verify_batch_into(right, offset + left.len(), failed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_round_trip() {
        let key = SecretKey::generate();
        let text = key.to_file_text();
        let back = SecretKey::from_file_text(&text).expect("parses");
        assert_eq!(back.public_key(), key.public_key());
        assert!(SecretKey::from_file_text("hello").is_err());
    }

    #[test]
    fn weak_and_uppercase_keys_are_refused() {
        // The identity point (y = 1) has order 1.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(PublicKey::from_bytes(identity), Err(KeyError::WeakKey));
        let key = SecretKey::generate().public_key();
        let upper = key.to_hex().to_uppercase();
        if upper != key.to_hex() {
            assert!(upper.parse::<PublicKey>().is_err());
        }
        assert_eq!(key.to_hex().parse::<PublicKey>(), Ok(key));
    }

    #[test]
    fn batch_agrees_with_single() {
        let keys: Vec<SecretKey> = (0..5).map(|_| SecretKey::generate()).collect();
        let messages: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 10]).collect();
        let mut items: Vec<(PublicKey, &[u8], Signature)> = keys
            .iter()
            .zip(&messages)
            .map(|(key, message)| (key.public_key(), message.as_slice(), key.sign(message)))
            .collect();
        assert!(verify_batch(&items).is_empty());
        items[3].2 .0[0] ^= 1;
        assert_eq!(verify_batch(&items), vec![3]);
        // A large batch with a few bad signatures is bisected down to exactly those.
        let many: Vec<(PublicKey, &[u8], Signature)> = (0..100).map(|i| items[i % 5]).collect();
        let expected: Vec<usize> = (0..100).filter(|i| i % 5 == 3).collect();
        assert_eq!(verify_batch(&many), expected);
    }
}
