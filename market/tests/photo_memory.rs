//! A photo never takes more memory than its budget (`photo::PROCESS_BYTES_MAX`), measured by
//! counting every allocation while it is processed: a hostile file (a 16-bit PNG of 40
//! megapixels, a few hundred bytes long) is refused from its header, and the largest photo
//! accepted, turned upright from its EXIF orientation, stays under the budget.

use commons_market::photo::{self, PhotoError, DECODED_BYTES_MAX, PROCESS_BYTES_MAX};
use image::codecs::jpeg::JpegEncoder;
use image::RgbImage;
use peakmem_alloc::{PeakMemAlloc, PeakMemAllocTrait, INSTRUMENTED_SYSTEM};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &PeakMemAlloc<System> = &INSTRUMENTED_SYSTEM;

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A PNG that says it is `side` × `side`, 16 bits per channel, RGB, rotated by its EXIF, and
/// holds one row of data: what a decoder would spend memory on is all in the header.
fn png_bomb(side: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = side.to_be_bytes().to_vec();
    header.extend_from_slice(&side.to_be_bytes());
    header.extend_from_slice(&[16, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    let exif = b"II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0\0\0\0\0";
    chunk(&mut out, b"eXIf", exif);
    // A zlib stream with one stored block of one byte.
    let idat = [
        0x78, 0x01, 0x01, 0x01, 0x00, 0xFE, 0xFF, 0x00, 0x00, 0x01, 0x00, 0x01,
    ];
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A JPEG of `width` × `height` with an EXIF orientation of 6 (turn 90° clockwise).
fn rotated_jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let mut plain = Vec::new();
    JpegEncoder::new_with_quality(&mut plain, 80)
        .encode_image(&image)
        .expect("encodes");
    let exif = b"Exif\0\0II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0\0\0\0\0";
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(exif);
    out.extend_from_slice(&plain[2..]);
    out
}

#[test]
fn a_photo_never_takes_more_memory_than_its_budget() {
    // 6324 × 6324 at 16-bit RGB is 240 MB decoded, from a file of a few hundred bytes.
    let bomb = png_bomb(6324);
    assert!(bomb.len() < 1_000);
    GLOBAL.reset_peak_memory();
    assert_eq!(photo::process(&bomb).err(), Some(PhotoError::TooLarge));
    let peak = GLOBAL.get_peak_memory() as u64;
    assert!(peak < 1024 * 1024, "refused from its header: {peak} bytes");

    // The largest 8-bit photo accepted (3 bytes a pixel, up to the decoded budget), turned.
    let (width, height) = (6400, 5000);
    assert!(u64::from(width) * u64::from(height) * 3 <= DECODED_BYTES_MAX);
    let jpeg = rotated_jpeg(width, height);
    GLOBAL.reset_peak_memory();
    let processed = photo::process(&jpeg).expect("accepted");
    let peak = GLOBAL.get_peak_memory() as u64;
    println!(
        "peak {} MiB for a {width}×{height} photo",
        peak / (1024 * 1024)
    );
    assert!(
        peak <= PROCESS_BYTES_MAX,
        "{peak} bytes is over the budget of {PROCESS_BYTES_MAX}"
    );
    assert_eq!(
        (processed.width, processed.height),
        (1250, 1600),
        "turned upright from its EXIF orientation"
    );
}
