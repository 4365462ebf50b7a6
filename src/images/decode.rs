//! Reading a source image safely: the format from the bytes, the size from the header alone
//! (so a decompression bomb is refused before a pixel is allocated), the EXIF orientation,
//! and a decode that cannot crash the build (a panicking decoder becomes an error).

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::ImageError;

/// The raster formats bucketpress makes variants of (by file extension, lowercased).
pub(crate) fn is_raster(key: &str) -> bool {
    let ext = key.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(ext.as_deref(), Some("jpg" | "jpeg" | "png" | "webp"))
}

/// What the header says about a source image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// The format found in the bytes (not trusted from the name).
    pub format: ImageFormat,
    /// Width as displayed, after the EXIF orientation is applied.
    pub width: u32,
    /// Height as displayed, after the EXIF orientation is applied.
    pub height: u32,
    /// True when the pixels have an alpha channel.
    pub alpha: bool,
    /// The EXIF orientation (1: upright, 2 to 8: flipped or turned), applied on decode.
    pub orientation: u16,
}

fn reader(bytes: &[u8], max_pixels: u64) -> Result<ImageReader<Cursor<&[u8]>>, ImageError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageError::Unreadable(e.to_string()))?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) => {}
        _ => {
            return Err(ImageError::Unreadable(
                "not a JPEG, PNG or WebP image (the bytes do not match any of them)".into(),
            ));
        }
    }
    let mut limits = Limits::default();
    // RGBA8 of the largest image allowed, plus room for the decoder's own buffers.
    limits.max_alloc = Some(max_pixels.saturating_mul(4).saturating_add(64 << 20));
    reader.limits(limits);
    Ok(reader)
}

/// Runs a decoder step, turning a panic into an error: a malformed file must not end a build.
fn guarded<T>(step: impl FnOnce() -> Result<T, ImageError>) -> Result<T, ImageError> {
    catch_unwind(AssertUnwindSafe(step)).unwrap_or_else(|_| {
        Err(ImageError::Unreadable(
            "the decoder failed on this file".into(),
        ))
    })
}

/// Reads the header only: format, displayed size, alpha. Refuses images of more than
/// `max_pixels` pixels.
pub fn probe(bytes: &[u8], max_pixels: u64) -> Result<Probe, ImageError> {
    guarded(|| {
        let reader = reader(bytes, max_pixels)?;
        let format = reader.format().expect("checked by reader()");
        let mut decoder = reader.into_decoder().map_err(unreadable)?;
        let (w, h) = decoder.dimensions();
        check_size(w, h, max_pixels)?;
        let orientation = decoder
            .orientation()
            .unwrap_or(image::metadata::Orientation::NoTransforms);
        let swaps = matches!(
            orientation,
            image::metadata::Orientation::Rotate90
                | image::metadata::Orientation::Rotate270
                | image::metadata::Orientation::Rotate90FlipH
                | image::metadata::Orientation::Rotate270FlipH
        );
        let (width, height) = if swaps { (h, w) } else { (w, h) };
        Ok(Probe {
            format,
            width,
            height,
            alpha: decoder.color_type().has_alpha(),
            orientation: u16::from(orientation.to_exif()),
        })
    })
}

/// Decodes the whole image with its EXIF orientation applied (the pixels as displayed).
pub fn decode(bytes: &[u8], max_pixels: u64) -> Result<DynamicImage, ImageError> {
    guarded(|| {
        let reader = reader(bytes, max_pixels)?;
        let mut decoder = reader.into_decoder().map_err(unreadable)?;
        let (w, h) = decoder.dimensions();
        check_size(w, h, max_pixels)?;
        let orientation = decoder
            .orientation()
            .unwrap_or(image::metadata::Orientation::NoTransforms);
        let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
        image.apply_orientation(orientation);
        Ok(image)
    })
}

fn unreadable(e: image::ImageError) -> ImageError {
    match e {
        image::ImageError::Limits(l) => ImageError::Unreadable(format!(
            "needs more memory than allowed to decode ({l}); is it a decompression bomb?"
        )),
        other => ImageError::Unreadable(other.to_string()),
    }
}

fn check_size(width: u32, height: u32, max_pixels: u64) -> Result<(), ImageError> {
    let pixels = u64::from(width) * u64::from(height);
    if width == 0 || height == 0 {
        return Err(ImageError::Unreadable(format!(
            "the header says {width}x{height} pixels"
        )));
    }
    if pixels > max_pixels {
        return Err(ImageError::TooManyPixels {
            width,
            height,
            max_megapixels: max_pixels / 1_000_000,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::testdata;

    #[test]
    fn probe_reads_size_format_and_orientation_without_decoding() {
        let jpeg = testdata::jpeg(64, 32, &testdata::exif(6, true));
        let p = probe(&jpeg, 1_000_000).unwrap();
        assert_eq!(p.format, ImageFormat::Jpeg);
        // Orientation 6 (rotate 90°): shown 32 wide, 64 high.
        assert_eq!((p.width, p.height), (32, 64));
        assert_eq!(p.orientation, 6);
        let decoded = decode(&jpeg, 1_000_000).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (32, 64));
        let png = testdata::png(10, 20, true);
        let p = probe(&png, 1_000_000).unwrap();
        assert_eq!(
            (p.format, p.width, p.height, p.alpha),
            (ImageFormat::Png, 10, 20, true)
        );
    }

    #[test]
    fn a_bomb_is_refused_from_its_header() {
        // A PNG header claiming 60000x60000 pixels (3.6 gigapixels), and nothing else.
        let bomb = testdata::png_header_only(60_000, 60_000);
        let err = probe(&bomb, 100_000_000).unwrap_err();
        assert!(
            matches!(err, ImageError::TooManyPixels { width: 60_000, .. }),
            "{err}"
        );
        assert!(matches!(
            decode(&bomb, 100_000_000),
            Err(ImageError::TooManyPixels { .. })
        ));
    }

    #[test]
    fn broken_files_are_errors_not_panics() {
        let jpeg = testdata::jpeg(64, 64, &[]);
        // (A JPEG cut in its scan data decodes, grey at the end, as browsers show it.)
        for cut in [0, 2, 20, 200] {
            assert!(decode(&jpeg[..cut], 1_000_000).is_err(), "cut at {cut}");
        }
        assert!(probe(b"hello, not an image", 1_000_000).is_err());
    }

    #[test]
    fn raster_names() {
        assert!(is_raster("a/B.JPG") && is_raster("x.webp") && is_raster("p.png"));
        assert!(!is_raster("logo.svg") && !is_raster("anim.gif") && !is_raster("jpg"));
    }
}
