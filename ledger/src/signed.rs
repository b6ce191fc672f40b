//! One signed envelope for every record a member signs (ledger requests, ballots,
//! delegations): the record, its canonical bytes, and the signer's ed25519 signature over them.

use crate::codec::DecodeError;
use crate::keys::{Hash, PublicKey, SecretKey, Signature};

/// A record a member signs: one encoding, and one key that must sign it.
pub trait Signable: Sized {
    /// What the record is called in errors ("ballot", "delegation", ...).
    const WHAT: &'static str;
    /// Whether bytes from outside must be exactly the record's own encoding. Ballots and
    /// delegations must (their bytes are the receipt); ledger requests keep the bytes as signed
    /// (docs/ledger-format.md).
    const CANONICAL_ONLY: bool;
    /// The record's bytes, as signed.
    fn encode(&self) -> Vec<u8>;
    /// The record from bytes received from outside.
    fn decode(bytes: &[u8]) -> Result<Self, DecodeError>;
    /// The key whose signature makes the record valid.
    fn signer(&self) -> &PublicKey;
}

/// A record with its bytes and the signer's signature over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed<T> {
    pub record: T,
    pub bytes: Vec<u8>,
    pub signature: Signature,
}

impl<T: Signable> Signed<T> {
    /// Encodes and signs the record. Panics if `key` is not the record's signer: a caller bug,
    /// never input.
    pub fn sign(record: T, key: &SecretKey) -> Signed<T> {
        assert_eq!(
            &key.public_key(),
            record.signer(),
            "a {} must be signed by its own signer",
            T::WHAT
        );
        let bytes = record.encode();
        let signature = key.sign(&bytes);
        Signed {
            record,
            bytes,
            signature,
        }
    }

    /// Decodes signed bytes received from outside (the signature is not checked here).
    pub fn from_parts(bytes: Vec<u8>, signature: Signature) -> Result<Signed<T>, DecodeError> {
        let record = T::decode(&bytes)?;
        if T::CANONICAL_ONLY && record.encode() != bytes {
            return Err(DecodeError::NotCanonical { what: T::WHAT });
        }
        Ok(Signed {
            record,
            bytes,
            signature,
        })
    }

    /// Whether the signer's signature over the bytes verifies.
    pub fn signature_is_valid(&self) -> bool {
        self.record.signer().verify(&self.bytes, &self.signature)
    }
}

impl<T> Signed<T> {
    /// The record's receipt: what a board of such records holds as its leaf (a ballot's
    /// receipt, which its voter keeps).
    pub fn receipt(&self) -> Hash {
        receipt(&self.bytes, &self.signature)
    }
}

/// The receipt of signed bytes: the RFC 9162 leaf hash of bytes ‖ signature.
pub fn receipt(bytes: &[u8], signature: &Signature) -> Hash {
    let mut record = Vec::with_capacity(bytes.len() + 64);
    record.extend_from_slice(bytes);
    record.extend_from_slice(&signature.0);
    crate::merkle::leaf_hash(&record)
}
