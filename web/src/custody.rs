//! Key custody: password hashes, and members' signing keys sealed under a key derived from
//! their password, so that neither a copy of the database nor the server alone can sign for them.
//!
//! No IO happens here. See `docs/security.md` for the whole model.

use argon2::password_hash::{rand_core::OsRng as HashRng, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use commons_ledger::keys::{Hash, PublicKey, SecretKey};
use rand_core::{OsRng, RngCore};
use thiserror::Error;
use zeroize::Zeroizing;

/// Bytes of the salt of a member's sealing key.
pub const SEAL_SALT_BYTES: usize = 16;
/// Shortest password accepted, in characters (NIST SP 800-63B: at least 8, no composition rules).
pub const PASSWORD_CHARS_MIN: usize = 8;
/// Longest password accepted, in bytes (argon2 hashes anything, but a limit bounds the work).
pub const PASSWORD_BYTES_MAX: usize = 1024;
/// The version byte in front of every sealed key.
const SEALED_VERSION: u8 = 1;
const NONCE_BYTES: usize = 24;
/// Sealed key: version, nonce, 32-byte seed and 16-byte tag.
pub const SEALED_BYTES: usize = 1 + NONCE_BYTES + 32 + 16;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CustodyError {
    #[error("the password could not be hashed: {0}")]
    Hashing(String),
    #[error("the sealed key cannot be opened with this password (or it was tampered with)")]
    WrongKey,
    #[error("the sealed key is not in a format this node knows")]
    Malformed,
}

/// A password as typed, wiped from memory when dropped. Parsing checks its length.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

/// Why a new password is not accepted.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("too short")]
    TooShort,
    #[error("too long")]
    TooLong,
}

impl Password {
    /// A password someone is choosing: at least [`PASSWORD_CHARS_MIN`] characters.
    pub fn new_choice(text: &str) -> Result<Password, PasswordError> {
        if text.chars().count() < PASSWORD_CHARS_MIN {
            return Err(PasswordError::TooShort);
        }
        Password::typed(text)
    }

    /// A password typed to log in or unlock: any length up to the limit.
    pub fn typed(text: &str) -> Result<Password, PasswordError> {
        if text.len() > PASSWORD_BYTES_MAX {
            return Err(PasswordError::TooLong);
        }
        Ok(Password(Zeroizing::new(text.to_owned())))
    }

    fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// The cost of the password hash and of the sealing-key derivation.
#[derive(Debug, Clone, Copy)]
pub struct KdfCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl KdfCost {
    /// OWASP's first recommendation for argon2id: 19 MiB, 2 iterations, 1 lane.
    pub const RECOMMENDED: KdfCost = KdfCost {
        memory_kib: 19 * 1024,
        iterations: 2,
    };

    fn argon2(self) -> Argon2<'static> {
        let params = Params::new(self.memory_kib, self.iterations, 1, Some(32))
            .expect("the costs are valid argon2 parameters");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

/// Hashes a password with argon2id into a PHC string (which records its own salt and costs).
pub fn hash_password(password: &Password, cost: KdfCost) -> Result<String, CustodyError> {
    let salt = SaltString::generate(&mut HashRng);
    cost.argon2()
        .hash_password(password.bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| CustodyError::Hashing(error.to_string()))
}

/// Whether `password` matches a PHC hash made by [`hash_password`] (constant time).
pub fn verify_password(phc: &str, password: &Password) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    // The costs come from the PHC string itself, so old hashes keep verifying after a change.
    Argon2::default()
        .verify_password(password.bytes(), &parsed)
        .is_ok()
}

/// A fresh random salt for a sealing key.
pub fn new_seal_salt() -> [u8; SEAL_SALT_BYTES] {
    let mut salt = [0u8; SEAL_SALT_BYTES];
    OsRng.fill_bytes(&mut salt);
    salt
}

/// The key that seals a member's signing keys. It exists only in memory, while a session that
/// was opened with the password is live, and is wiped when dropped.
#[derive(Clone)]
pub struct SealingKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(..)")
    }
}

impl SealingKey {
    /// Derives the sealing key from a password and the member's seal salt (argon2id; the salt
    /// differs from the password hash's, so the stored hash reveals nothing about this key).
    pub fn derive(
        password: &Password,
        salt: &[u8],
        cost: KdfCost,
    ) -> Result<SealingKey, CustodyError> {
        let mut key = Zeroizing::new([0u8; 32]);
        cost.argon2()
            .hash_password_into(password.bytes(), salt, key.as_mut())
            .map_err(|error| CustodyError::Hashing(error.to_string()))?;
        Ok(SealingKey(key))
    }

    /// The sealing key of an invitation link: the link's 32 random bytes are already a strong
    /// key, so one domain-separated hash is enough.
    pub fn from_link_secret(secret: &[u8; 32]) -> SealingKey {
        let hash = Hash::sha256(&[b"commons.web.invitation-seal", secret]);
        SealingKey(Zeroizing::new(hash.0))
    }
}

/// What a sealed key is bound to: its circle and its public key. A sealed key moved to another
/// membership row does not open.
fn binding(circle_id: &Hash, public_key: &PublicKey) -> Vec<u8> {
    let mut aad = b"commons.web.sealed-key.v1".to_vec();
    aad.extend_from_slice(&circle_id.0);
    aad.extend_from_slice(public_key.as_bytes());
    aad
}

/// Seals a signing key: XChaCha20-Poly1305 with a random nonce, bound to the circle and key.
pub fn seal(key: &SealingKey, circle_id: &Hash, secret: &SecretKey) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.0.as_ref().into());
    let mut nonce = [0u8; NONCE_BYTES];
    OsRng.fill_bytes(&mut nonce);
    let aad = binding(circle_id, &secret.public_key());
    let sealed = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: secret.seed(),
                aad: &aad,
            },
        )
        .expect("sealing 32 bytes cannot fail");
    let mut out = Vec::with_capacity(SEALED_BYTES);
    out.push(SEALED_VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

/// Opens a sealed signing key, checking that it belongs to `circle_id` and `public_key`.
pub fn unseal(
    key: &SealingKey,
    circle_id: &Hash,
    public_key: &PublicKey,
    sealed: &[u8],
) -> Result<SecretKey, CustodyError> {
    if sealed.len() != SEALED_BYTES || sealed[0] != SEALED_VERSION {
        return Err(CustodyError::Malformed);
    }
    let cipher = XChaCha20Poly1305::new(key.0.as_ref().into());
    let nonce = XNonce::from_slice(&sealed[1..1 + NONCE_BYTES]);
    let aad = binding(circle_id, public_key);
    let seed = Zeroizing::new(
        cipher
            .decrypt(
                nonce,
                Payload {
                    msg: &sealed[1 + NONCE_BYTES..],
                    aad: &aad,
                },
            )
            .map_err(|_| CustodyError::WrongKey)?,
    );
    let seed: [u8; 32] = seed
        .as_slice()
        .try_into()
        .map_err(|_| CustodyError::Malformed)?;
    let secret = SecretKey::from_seed(seed);
    if secret.public_key() != *public_key {
        return Err(CustodyError::WrongKey);
    }
    Ok(secret)
}

/// A random 32-byte secret (session tokens, invitation links, API tokens).
pub fn random_secret() -> [u8; 32] {
    let mut secret = [0u8; 32];
    OsRng.fill_bytes(&mut secret);
    secret
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: KdfCost = KdfCost {
        memory_kib: 64,
        iterations: 1,
    };

    fn password(text: &str) -> Password {
        Password::typed(text).expect("short enough")
    }

    #[test]
    fn password_hash_verifies_only_the_right_password() {
        let hash = hash_password(&password("correct horse"), CHEAP).expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, &password("correct horse")));
        assert!(!verify_password(&hash, &password("correct horsE")));
        assert!(!verify_password("not a hash", &password("correct horse")));
    }

    #[test]
    fn new_passwords_have_a_minimum_length() {
        assert_eq!(
            Password::new_choice("short").err(),
            Some(PasswordError::TooShort)
        );
        assert!(Password::new_choice("long enough").is_ok());
        assert_eq!(
            Password::typed(&"x".repeat(PASSWORD_BYTES_MAX + 1)).err(),
            Some(PasswordError::TooLong)
        );
    }

    #[test]
    fn sealed_keys_open_only_with_the_same_password_circle_and_key() {
        let salt = new_seal_salt();
        let key = SealingKey::derive(&password("a good password"), &salt, CHEAP).expect("kdf");
        let circle = Hash::sha256(&[b"circle"]);
        let secret = SecretKey::generate();
        let sealed = seal(&key, &circle, &secret);
        assert_eq!(sealed.len(), SEALED_BYTES);
        // The seed does not appear in the sealed bytes.
        assert!(!sealed.windows(32).any(|window| window == secret.seed()));
        let opened = unseal(&key, &circle, &secret.public_key(), &sealed).expect("opens");
        assert_eq!(opened.public_key(), secret.public_key());

        let wrong = SealingKey::derive(&password("a bad password"), &salt, CHEAP).expect("kdf");
        assert_eq!(
            unseal(&wrong, &circle, &secret.public_key(), &sealed).err(),
            Some(CustodyError::WrongKey)
        );
        let other_circle = Hash::sha256(&[b"other"]);
        assert!(unseal(&key, &other_circle, &secret.public_key(), &sealed).is_err());
        let other_key = SecretKey::generate().public_key();
        assert!(unseal(&key, &circle, &other_key, &sealed).is_err());
        let mut flipped = sealed.clone();
        flipped[30] ^= 1;
        assert!(unseal(&key, &circle, &secret.public_key(), &flipped).is_err());
        assert_eq!(
            unseal(&key, &circle, &secret.public_key(), &sealed[..10]).err(),
            Some(CustodyError::Malformed)
        );
    }

    #[test]
    fn link_secrets_seal_too() {
        let link = random_secret();
        let key = SealingKey::from_link_secret(&link);
        let circle = Hash::sha256(&[b"circle"]);
        let secret = SecretKey::generate();
        let sealed = seal(&key, &circle, &secret);
        let opened = unseal(&key, &circle, &secret.public_key(), &sealed).expect("opens");
        assert_eq!(opened.seed(), secret.seed());
        let other = SealingKey::from_link_secret(&random_secret());
        assert!(unseal(&other, &circle, &secret.public_key(), &sealed).is_err());
    }
}
