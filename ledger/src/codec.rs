//! The canonical byte encoding that signatures and hashes are computed over.
//!
//! Everything is big-endian and length-prefixed, so that one value has exactly one encoding and an
//! independent verifier can re-create the bytes from `docs/ledger-format.md` alone.

use thiserror::Error;

/// Longest byte string (name, slug, reference...) any field may carry.
pub const FIELD_BYTES_MAX: usize = 4096;
/// Most items in a list field (for example the steward keys of a genesis entry).
pub const LIST_ITEMS_MAX: usize = 64;

/// Why a byte string is not a canonical encoding.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    #[error("the bytes end too early (needed {needed} more)")]
    Truncated { needed: usize },
    #[error("{0} bytes are left over after the end of the value")]
    TrailingBytes(usize),
    #[error("the domain tag is not {expected:?}")]
    WrongTag { expected: &'static str },
    #[error("unsupported format version {0}")]
    UnsupportedVersion(u16),
    #[error("unknown {what} tag {tag}")]
    UnknownTag { what: &'static str, tag: u8 },
    #[error("a field is {0} bytes long, more than the limit of {FIELD_BYTES_MAX}")]
    FieldTooLong(usize),
    #[error("a list has {0} items, more than the limit of {LIST_ITEMS_MAX}")]
    ListTooLong(usize),
    #[error("a text field is not valid UTF-8")]
    NotUtf8,
    #[error("invalid value: {0}")]
    Invalid(String),
    #[error("the {what}'s bytes are not the canonical encoding of what they hold")]
    NotCanonical { what: &'static str },
}

/// Appends canonical encodings to a byte buffer.
#[derive(Debug, Default)]
pub struct Writer {
    bytes: Vec<u8>,
}

impl Writer {
    pub fn with_tag(tag: &str) -> Self {
        let mut writer = Writer {
            bytes: Vec::with_capacity(256),
        };
        writer.bytes.extend_from_slice(tag.as_bytes());
        writer.bytes.push(0);
        writer
    }
    pub fn u8(&mut self, value: u8) -> &mut Self {
        self.bytes.push(value);
        self
    }
    pub fn u16(&mut self, value: u16) -> &mut Self {
        self.bytes.extend_from_slice(&value.to_be_bytes());
        self
    }
    pub fn u32(&mut self, value: u32) -> &mut Self {
        self.bytes.extend_from_slice(&value.to_be_bytes());
        self
    }
    pub fn u64(&mut self, value: u64) -> &mut Self {
        self.bytes.extend_from_slice(&value.to_be_bytes());
        self
    }
    pub fn i64(&mut self, value: i64) -> &mut Self {
        self.bytes.extend_from_slice(&value.to_be_bytes());
        self
    }
    /// Fixed-size bytes (keys, hashes, nonces, signatures): written raw, no length.
    pub fn fixed(&mut self, value: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(value);
        self
    }
    /// Variable-size bytes: a u32 length, then the bytes.
    pub fn bytes(&mut self, value: &[u8]) -> &mut Self {
        assert!(
            value.len() <= FIELD_BYTES_MAX,
            "field longer than FIELD_BYTES_MAX"
        );
        self.u32(value.len() as u32);
        self.bytes.extend_from_slice(value);
        self
    }
    pub fn str(&mut self, value: &str) -> &mut Self {
        self.bytes(value.as_bytes())
    }
    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// Reads canonical encodings back, refusing anything that is not exactly canonical.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn with_tag(bytes: &'a [u8], tag: &'static str) -> Result<Self, DecodeError> {
        let mut reader = Reader { bytes };
        let found = reader.take(tag.len() + 1)?;
        if &found[..tag.len()] != tag.as_bytes() || found[tag.len()] != 0 {
            return Err(DecodeError::WrongTag { expected: tag });
        }
        Ok(reader)
    }
    pub fn take(&mut self, count: usize) -> Result<&'a [u8], DecodeError> {
        if self.bytes.len() < count {
            return Err(DecodeError::Truncated {
                needed: count - self.bytes.len(),
            });
        }
        let (head, tail) = self.bytes.split_at(count);
        self.bytes = tail;
        Ok(head)
    }
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    pub fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.array()?))
    }
    pub fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.u32()? as usize;
        if len > FIELD_BYTES_MAX {
            return Err(DecodeError::FieldTooLong(len));
        }
        self.take(len)
    }
    pub fn string(&mut self) -> Result<String, DecodeError> {
        let raw = self.bytes()?;
        std::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| DecodeError::NotUtf8)
    }
    pub fn list_len(&mut self) -> Result<usize, DecodeError> {
        let len = self.u32()? as usize;
        if len > LIST_ITEMS_MAX {
            return Err(DecodeError::ListTooLong(len));
        }
        Ok(len)
    }
    pub fn finish(self) -> Result<(), DecodeError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes(self.bytes.len()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_strictness() {
        let mut writer = Writer::with_tag("t");
        writer
            .u8(7)
            .u16(0x0102)
            .u64(9)
            .i64(-2)
            .str("héllo")
            .fixed(&[1, 2]);
        let bytes = writer.finish();
        assert_eq!(&bytes[..2], b"t\0");
        let mut reader = Reader::with_tag(&bytes, "t").expect("tag");
        assert_eq!(reader.u8(), Ok(7));
        assert_eq!(reader.u16(), Ok(0x0102));
        assert_eq!(reader.u64(), Ok(9));
        assert_eq!(reader.i64(), Ok(-2));
        assert_eq!(reader.string().as_deref(), Ok("héllo"));
        assert_eq!(reader.array::<2>(), Ok([1, 2]));
        assert_eq!(reader.finish(), Ok(()));
        assert!(Reader::with_tag(&bytes, "u").is_err());
        let mut short = Reader::with_tag(&bytes[..4], "t").expect("tag");
        assert_eq!(short.u8(), Ok(7));
        assert!(short.u16().is_err());
    }
}
