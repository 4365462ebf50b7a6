//! Synthetic images for tests and the benchmark: photo-like pixels (gradients and noise),
//! JPEGs carrying a hand-built EXIF segment with GPS tags, and headers of decompression
//! bombs. Nothing is downloaded: every byte is made here.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder, RgbImage};

/// The camera maker written into [`exif`] segments: a test looks for it in outputs.
pub const SECRET_MAKE: &str = "SecretCam-SN-0042";

/// A photo-like image: smooth gradients under per-pixel noise (a cheap xorshift from `seed`),
/// which compresses like a real photo rather than like a flat test card.
pub fn photo(width: u32, height: u32, seed: u64) -> RgbImage {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state & 0x1f) as i32 - 16
    };
    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / w, y as f32 / h);
        let wave = ((fx * 9.0 + seed as f32).sin() * (fy * 7.0).cos() * 60.0) as i32;
        let base = [
            (fx * 200.0) as i32 + wave,
            (fy * 180.0) as i32 + 40,
            ((1.0 - fx) * 160.0) as i32 - wave / 2 + 60,
        ];
        image::Rgb(base.map(|c| (c + noise()).clamp(0, 255) as u8))
    })
}

/// A JPEG of `width`×`height` with `app1` (an EXIF segment from [`exif`], or empty) right
/// after the start-of-image marker.
pub fn jpeg(width: u32, height: u32, app1: &[u8]) -> Vec<u8> {
    let pixels = photo(width, height, 7);
    let mut plain = Vec::new();
    JpegEncoder::new_with_quality(&mut plain, 85)
        .write_image(pixels.as_raw(), width, height, ExtendedColorType::Rgb8)
        .expect("encoding to memory");
    let mut out = Vec::with_capacity(plain.len() + app1.len());
    out.extend_from_slice(&plain[..2]);
    out.extend_from_slice(app1);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A PNG of `width`×`height`, with an alpha channel (transparent at the left) or not.
pub fn png(width: u32, height: u32, alpha: bool) -> Vec<u8> {
    let rgb = photo(width, height, 3);
    let mut out = Vec::new();
    let encoder = PngEncoder::new(&mut out);
    if alpha {
        let mut rgba = image::DynamicImage::ImageRgb8(rgb).to_rgba8();
        for (x, _, p) in rgba.enumerate_pixels_mut() {
            p[3] = (x * 255 / width.max(1)) as u8;
        }
        encoder.write_image(rgba.as_raw(), width, height, ExtendedColorType::Rgba8)
    } else {
        encoder.write_image(rgb.as_raw(), width, height, ExtendedColorType::Rgb8)
    }
    .expect("encoding to memory");
    out
}

/// A PNG with an `eXIf` chunk holding the TIFF part of [`exif`] and a `tEXt` comment.
pub fn png_with_metadata(width: u32, height: u32) -> Vec<u8> {
    let plain = png(width, height, false);
    let ihdr_end = 8 + 8 + 13 + 4;
    let mut out = plain[..ihdr_end].to_vec();
    out.extend(chunk(b"eXIf", &tiff(1, true)));
    out.extend(chunk(b"tEXt", format!("Author\0{SECRET_MAKE}").as_bytes()));
    out.extend_from_slice(&plain[ihdr_end..]);
    out
}

/// The signature and header chunk of a PNG claiming `width`×`height` RGBA pixels, and no
/// pixel data: the start of a decompression bomb.
pub fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 6, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &ihdr));
    out.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    out
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend(crc.sum().to_be_bytes());
    out
}

/// A JPEG APP1 segment (`FF E1`, length, `Exif\0\0`, TIFF) with the `orientation` tag, the
/// camera maker [`SECRET_MAKE`] and, when `gps`, a GPS IFD placing the photo at
/// 52°31'12.34" N.
pub fn exif(orientation: u16, gps: bool) -> Vec<u8> {
    let tiff = tiff(orientation, gps);
    let mut out = vec![0xFF, 0xE1];
    out.extend(((tiff.len() + 8) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend(tiff);
    out
}

/// The latitude rationals of [`exif`]'s GPS IFD, as stored (big-endian): tests look for them.
pub(crate) const GPS_LATITUDE: [u32; 6] = [52, 1, 31, 1, 1234, 100];

/// A big-endian TIFF structure: IFD0 with Make, Orientation and (optionally) a GPS IFD.
fn tiff(orientation: u16, gps: bool) -> Vec<u8> {
    let make = format!("{SECRET_MAKE}\0");
    let entries: u16 = if gps { 3 } else { 2 };
    let ifd0_len = 2 + 12 * entries as u32 + 4;
    let make_at = 8 + ifd0_len;
    let gps_at = make_at + make.len() as u32;
    let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
    t.extend(entries.to_be_bytes());
    // Make (0x010F), ASCII.
    t.extend([0x01, 0x0F, 0, 2]);
    t.extend((make.len() as u32).to_be_bytes());
    t.extend(make_at.to_be_bytes());
    // Orientation (0x0112), SHORT, value in the first two bytes.
    t.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1]);
    t.extend(orientation.to_be_bytes());
    t.extend([0, 0]);
    if gps {
        // GPSInfo (0x8825), LONG: the offset of the GPS IFD.
        t.extend([0x88, 0x25, 0, 4, 0, 0, 0, 1]);
        t.extend(gps_at.to_be_bytes());
    }
    t.extend([0, 0, 0, 0]);
    t.extend_from_slice(make.as_bytes());
    if gps {
        let gps_ifd_len = 2 + 12 * 2 + 4;
        let rationals_at = gps_at + gps_ifd_len;
        t.extend(2u16.to_be_bytes());
        // GPSLatitudeRef (1), ASCII "N".
        t.extend([0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0]);
        // GPSLatitude (2), RATIONAL x3.
        t.extend([0, 2, 0, 5, 0, 0, 0, 3]);
        t.extend(rationals_at.to_be_bytes());
        t.extend([0, 0, 0, 0]);
        for v in GPS_LATITUDE {
            t.extend(v.to_be_bytes());
        }
    }
    t
}

/// True when `needle` occurs in `haystack` (for tests that look for leaked metadata).
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The bytes of `GPS_LATITUDE` as stored in the EXIF segment.
pub fn gps_latitude_bytes() -> Vec<u8> {
    GPS_LATITUDE.iter().flat_map(|v| v.to_be_bytes()).collect()
}
