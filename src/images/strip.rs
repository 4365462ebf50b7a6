//! Metadata out of published originals, without re-encoding: JPEG segments, PNG chunks and
//! WebP (RIFF) chunks that carry EXIF, XMP, IPTC or text are dropped; pixels, colour profiles
//! and the rest are kept byte for byte. A JPEG's orientation survives as a minimal EXIF
//! segment holding that one tag, so browsers still show the photo upright.

use super::ImageError;

/// The bytes of `source` (JPEG, PNG or WebP, told from its first bytes) without metadata.
/// `orientation` is the EXIF orientation (1 = upright) kept in JPEGs.
pub(crate) fn strip(source: &[u8], orientation: u16) -> Result<Vec<u8>, ImageError> {
    if source.starts_with(&[0xFF, 0xD8]) {
        jpeg(source, orientation)
    } else if source.starts_with(b"\x89PNG\r\n\x1a\n") {
        png(source)
    } else if source.len() >= 12 && &source[..4] == b"RIFF" && &source[8..12] == b"WEBP" {
        webp(source)
    } else {
        Err(ImageError::Unreadable(
            "not a JPEG, PNG or WebP file".into(),
        ))
    }
}

fn malformed(what: &str) -> ImageError {
    ImageError::Unreadable(format!("malformed {what}: cannot remove its metadata"))
}

/// Keeps APP0 (JFIF), APP2 (ICC profile), APP14 (Adobe colour transform) and every
/// non-APP segment; drops APP1 (EXIF, XMP), APP3–APP13 (IPTC and maker data), APP15 and
/// comments. Everything from the start of scan on is copied as is.
fn jpeg(source: &[u8], orientation: u16) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::with_capacity(source.len());
    out.extend_from_slice(&source[..2]);
    if orientation != 1 {
        out.extend(orientation_segment(orientation));
    }
    let mut i = 2;
    loop {
        if i + 4 > source.len() || source[i] != 0xFF {
            return Err(malformed("JPEG"));
        }
        let marker = source[i + 1];
        if marker == 0xFF {
            i += 1; // fill byte
            continue;
        }
        if marker == 0xDA || marker == 0xD9 {
            out.extend_from_slice(&source[i..]);
            return Ok(out);
        }
        let len = usize::from(u16::from_be_bytes([source[i + 2], source[i + 3]]));
        let end = i + 2 + len;
        if len < 2 || end > source.len() {
            return Err(malformed("JPEG"));
        }
        let drop = matches!(marker, 0xE1 | 0xE3..=0xED | 0xEF | 0xFE);
        if !drop {
            out.extend_from_slice(&source[i..end]);
        }
        i = end;
    }
}

/// An APP1 segment with a TIFF structure holding only the orientation tag.
fn orientation_segment(orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    tiff.extend(orientation.to_be_bytes());
    tiff.extend([0, 0, 0, 0, 0, 0]);
    let mut out = vec![0xFF, 0xE1];
    out.extend(((tiff.len() + 8) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend(tiff);
    out
}

/// Drops `eXIf`, `tEXt`, `zTXt`, `iTXt` and `tIME` chunks.
fn png(source: &[u8]) -> Result<Vec<u8>, ImageError> {
    let mut out = source[..8].to_vec();
    let mut i = 8;
    while i < source.len() {
        if i + 12 > source.len() {
            return Err(malformed("PNG"));
        }
        let len = u32::from_be_bytes(source[i..i + 4].try_into().expect("4 bytes")) as usize;
        let end = i.checked_add(12 + len).filter(|e| *e <= source.len());
        let end = end.ok_or_else(|| malformed("PNG"))?;
        let kind = &source[i + 4..i + 8];
        if !matches!(kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME") {
            out.extend_from_slice(&source[i..end]);
        }
        i = end;
    }
    Ok(out)
}

/// Drops `EXIF` and `XMP ` chunks and clears their flags in the `VP8X` header.
fn webp(source: &[u8]) -> Result<Vec<u8>, ImageError> {
    let mut out = source[..12].to_vec();
    let mut i = 12;
    while i < source.len() {
        if i + 8 > source.len() {
            return Err(malformed("WebP"));
        }
        let len = u32::from_le_bytes(source[i + 4..i + 8].try_into().expect("4 bytes")) as usize;
        let padded = len + (len & 1);
        let end = (i + 8 + padded).min(source.len());
        if i + 8 + len > source.len() {
            return Err(malformed("WebP"));
        }
        let kind = &source[i..i + 4];
        if kind == b"VP8X" && len >= 1 {
            let start = out.len();
            out.extend_from_slice(&source[i..end]);
            out[start + 8] &= !(0x08 | 0x04);
        } else if kind != b"EXIF" && kind != b"XMP " {
            out.extend_from_slice(&source[i..end]);
        }
        i = end;
    }
    let riff_len = (out.len() - 8) as u32;
    out[4..8].copy_from_slice(&riff_len.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::testdata::{self, SECRET_MAKE, contains, gps_latitude_bytes};

    #[test]
    fn jpeg_loses_gps_and_maker_but_keeps_pixels_and_orientation() {
        let source = testdata::jpeg(64, 32, &testdata::exif(6, true));
        assert!(
            contains(&source, SECRET_MAKE.as_bytes()),
            "the test image has them"
        );
        assert!(contains(&source, &gps_latitude_bytes()));
        let out = strip(&source, 6).unwrap();
        assert!(!contains(&out, SECRET_MAKE.as_bytes()));
        assert!(!contains(&out, &gps_latitude_bytes()));
        let before = crate::images::decode::decode(&source, 1 << 20).unwrap();
        let after = crate::images::decode::decode(&out, 1 << 20).unwrap();
        assert_eq!(
            (after.width(), after.height()),
            (32, 64),
            "still shown upright"
        );
        assert_eq!(before.to_rgb8(), after.to_rgb8(), "pixels untouched");
    }

    #[test]
    fn png_loses_exif_and_text_chunks() {
        let source = testdata::png_with_metadata(20, 10);
        assert!(contains(&source, SECRET_MAKE.as_bytes()));
        let out = strip(&source, 1).unwrap();
        assert!(!contains(&out, SECRET_MAKE.as_bytes()));
        assert!(!contains(&out, &gps_latitude_bytes()));
        let img = image::load_from_memory(&out).unwrap();
        assert_eq!((img.width(), img.height()), (20, 10));
    }

    #[test]
    fn truncated_files_are_errors() {
        let source = testdata::jpeg(16, 16, &testdata::exif(1, true));
        assert!(strip(&source[..10], 1).is_err());
        assert!(strip(b"GIF89a", 1).is_err());
    }
}
