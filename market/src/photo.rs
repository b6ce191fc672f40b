//! Photos members add to listings: decoded with bounds (bytes, pixels, and the memory the
//! decoded image takes at its bit depth), resized, turned upright and re-encoded as new JPEG
//! files, so that nothing of the original file — EXIF, GPS
//! position, camera serial, comments — reaches other members.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use thiserror::Error;

/// Largest upload, in bytes.
pub const PHOTO_BYTES_MAX: usize = 8 * 1024 * 1024;
/// Largest image accepted, in pixels on a side and in all.
pub const PHOTO_SIDE_PIXELS_MAX: u32 = 12_000;
pub const PHOTO_PIXELS_MAX: u64 = 40_000_000;
/// Most memory the decoded image may take, in bytes, at its own bit depth and channels (an
/// 8-bit RGB photo of 32 megapixels; a 16-bit one of 16). Checked from the file's header,
/// before anything is decoded.
pub const DECODED_BYTES_MAX: u64 = 96 * 1024 * 1024;
/// Most memory processing one photo takes in all, in bytes: the decoded image, the decoder's
/// own buffers, the resized copies and the JPEG files (measured in `tests/photo_memory.rs`).
pub const PROCESS_BYTES_MAX: u64 = DECODED_BYTES_MAX + 48 * 1024 * 1024;
/// The long side of the stored photo and of its thumbnail, in pixels.
pub const FULL_SIDE_PIXELS: u32 = 1600;
pub const THUMB_SIDE_PIXELS: u32 = 480;
/// Most photos on one listing.
pub const PHOTOS_PER_LISTING_MAX: usize = 6;
/// Longest alt text, in characters (it is required: every photo is described).
pub const ALT_CHARS_MAX: usize = 300;
const JPEG_QUALITY: u8 = 82;

#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum PhotoError {
    #[error("the photo is larger than 8 MiB")]
    TooLarge,
    #[error("the file is not a JPEG, PNG or WebP image we can read")]
    Unreadable,
    #[error("the photo needs a short description for people who cannot see it")]
    AltMissing,
    #[error("the description of the photo is longer than 300 characters")]
    AltTooLong,
    #[error("a listing can have at most 6 photos")]
    TooMany,
}

impl PhotoError {
    pub fn message_id(self) -> &'static str {
        match self {
            PhotoError::TooLarge => "photo-error-too-large",
            PhotoError::Unreadable => "photo-error-unreadable",
            PhotoError::AltMissing => "photo-error-alt-missing",
            PhotoError::AltTooLong => "photo-error-alt-too-long",
            PhotoError::TooMany => "photo-error-too-many",
        }
    }
}

/// A photo ready to store: two fresh JPEG files and their sizes.
#[derive(Debug, Clone)]
pub struct Processed {
    pub full_jpeg: Vec<u8>,
    pub thumb_jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Checks the alt text a member gave: required, bounded.
pub fn parse_alt(text: &str) -> Result<String, PhotoError> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return Err(PhotoError::AltMissing);
    }
    if text.chars().count() > ALT_CHARS_MAX {
        return Err(PhotoError::AltTooLong);
    }
    Ok(text)
}

fn encode(image: &DynamicImage) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(&image.to_rgb8())
        .map_err(|_| PhotoError::Unreadable)?;
    Ok(out)
}

/// The image within `side` × `side`, its proportions kept. Shrinking averages each area of
/// the original into one pixel (`thumbnail`), writing straight into the small image: no copy
/// of the large one at higher precision is made.
fn fit(image: &DynamicImage, side: u32) -> DynamicImage {
    if image.width() <= side && image.height() <= side {
        image.clone()
    } else {
        image.thumbnail(side, side)
    }
}

/// Decodes an upload within bounds, applies its orientation, and re-encodes it.
pub fn process(bytes: &[u8]) -> Result<Processed, PhotoError> {
    if bytes.len() > PHOTO_BYTES_MAX {
        return Err(PhotoError::TooLarge);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| PhotoError::Unreadable)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(PHOTO_SIDE_PIXELS_MAX);
    limits.max_image_height = Some(PHOTO_SIDE_PIXELS_MAX);
    limits.max_alloc = Some(PROCESS_BYTES_MAX);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| PhotoError::Unreadable)?;
    // Bound the decoded image (its bit depth and channels included) before decoding it.
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > PHOTO_PIXELS_MAX
        || decoder.total_bytes() > DECODED_BYTES_MAX
    {
        return Err(PhotoError::TooLarge);
    }
    let orientation = decoder.orientation().map_err(|_| PhotoError::Unreadable)?;
    let image = DynamicImage::from_decoder(decoder).map_err(|_| PhotoError::Unreadable)?;
    // Shrunk first, then turned upright: the turn copies only the small image.
    let mut full = fit(&image, FULL_SIDE_PIXELS);
    drop(image);
    full.apply_orientation(orientation);
    let thumb = fit(&full, THUMB_SIDE_PIXELS);
    Ok(Processed {
        full_jpeg: encode(&full)?,
        thumb_jpeg: encode(&thumb)?,
        width: full.width(),
        height: full.height(),
    })
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A small JPEG carrying an EXIF block with a GPS position and a camera name, as phones
    /// write them.
    pub fn jpeg_with_exif() -> Vec<u8> {
        let image = DynamicImage::new_rgb8(64, 48);
        let plain = encode(&image).expect("encodes");
        // APP1 "Exif\0\0" + a little-endian TIFF header with one IFD entry (Make = "SpyCam").
        let mut exif = b"Exif\0\0II*\0\x08\0\0\0\x01\0\x0f\x01\x02\0\x07\0\0\0\x1a\0\0\0\0\0\0\0SpyCam\0GPSLatitude 51.5".to_vec();
        let length = (exif.len() + 2) as u16;
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
        out.extend_from_slice(&length.to_be_bytes());
        out.append(&mut exif);
        out.extend_from_slice(&plain[2..]);
        out
    }

    #[test]
    fn photos_come_back_without_exif_and_resized() {
        let upload = jpeg_with_exif();
        assert!(upload.windows(6).any(|w| w == b"SpyCam"));
        let processed = process(&upload).expect("processes");
        for file in [&processed.full_jpeg, &processed.thumb_jpeg] {
            assert!(!file.windows(4).any(|w| w == b"Exif"), "EXIF survived");
            assert!(!file.windows(6).any(|w| w == b"SpyCam"));
            assert!(!file.windows(3).any(|w| w == b"GPS"));
        }
        assert_eq!((processed.width, processed.height), (64, 48));
        let big = DynamicImage::new_rgb8(3200, 1000);
        let mut png = Vec::new();
        big.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("png");
        let processed = process(&png).expect("processes");
        assert_eq!((processed.width, processed.height), (1600, 500));
    }

    #[test]
    fn junk_and_oversized_uploads_and_missing_alt_text_are_refused() {
        assert_eq!(process(b"not an image").err(), Some(PhotoError::Unreadable));
        assert_eq!(
            process(&vec![0u8; PHOTO_BYTES_MAX + 1]).err(),
            Some(PhotoError::TooLarge)
        );
        assert_eq!(parse_alt("  "), Err(PhotoError::AltMissing));
        assert_eq!(parse_alt(" A  red\nbike "), Ok("A red bike".into()));
        assert_eq!(parse_alt(&"x".repeat(301)), Err(PhotoError::AltTooLong));
    }
}
