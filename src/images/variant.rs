//! Variants: which widths and formats a source gets (never upscaled), their content-addressed
//! names, and making them: resize (fast_image_resize, Lanczos3) and encode (lossy WebP from
//! libwebp; JPEG and PNG fallbacks from `image`). Encoders write pixels only: no EXIF, no
//! text chunks, so nothing of the source's metadata survives.

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::{DynamicImage, ExtendedColorType, ImageEncoder, ImageFormat};

use super::ImageError;
use super::config::ImageConfig;
use super::decode::Probe;

/// Bumped whenever the bytes a variant gets for the same settings change (encoder, filter):
/// part of every variant's hash, so old cached files are never served for new settings.
const PIPELINE_VERSION: u32 = 1;

/// An output format of a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Lossy WebP (libwebp).
    WebP,
    /// Baseline JPEG.
    Jpeg,
    /// PNG (for sources with transparency, or PNG sources).
    Png,
}

impl Format {
    /// The file extension.
    pub fn ext(self) -> &'static str {
        match self {
            Format::WebP => "webp",
            Format::Jpeg => "jpg",
            Format::Png => "png",
        }
    }

    /// The media type.
    pub(crate) fn mime(self) -> &'static str {
        match self {
            Format::WebP => "image/webp",
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
        }
    }
}

/// One file to make from a source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Spec {
    /// The format.
    pub format: Format,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels (aspect ratio kept).
    pub height: u32,
    /// Encoder quality (1–100; ignored for PNG).
    pub quality: u8,
    /// BLAKE3 of the source bytes and everything above: the variant's identity.
    pub id: String,
}

impl Spec {
    /// The object key: `img/<stem>.<16 hex digits>.<width>.<ext>`. The hash part makes the
    /// name change with the bytes, so publish gives it `immutable` caching.
    pub fn key(&self, stem: &str) -> String {
        format!(
            "img/{stem}.{}.{}.{}",
            &self.id[..16],
            self.width,
            self.format.ext()
        )
    }

    /// The name of the cached file under the cache folder.
    pub(crate) fn cache_name(&self) -> String {
        format!("{}.{}", self.id, self.format.ext())
    }
}

/// The variants of one source: WebP at each configured width below the source's (plus the
/// source's own width when it is narrower than the widest), and one fallback in the
/// source's format at `fallback_width` at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// WebP variants, narrowest first.
    pub webp: Vec<Spec>,
    /// The fallback for browsers without WebP (and the `<img src>`).
    pub fallback: Spec,
}

impl Plan {
    /// Every spec, WebP first.
    pub(crate) fn specs(&self) -> impl Iterator<Item = &Spec> {
        self.webp.iter().chain(std::iter::once(&self.fallback))
    }
}

/// Plans the variants of a source with content hash `source_hash`.
pub fn plan(source_hash: &str, probe: &Probe, config: &ImageConfig) -> Plan {
    let w = probe.width;
    let mut widths: Vec<u32> = config
        .sorted_widths()
        .into_iter()
        .filter(|x| *x < w)
        .collect();
    if config.widths.iter().any(|x| *x >= w) {
        widths.push(w);
    }
    let spec = |format: Format, width: u32, quality: u8| {
        let height = scaled_height(probe, width);
        let mut h = blake3::Hasher::new();
        h.update(source_hash.as_bytes());
        let settings = format!("v{PIPELINE_VERSION} {format:?} {width}x{height} q{quality}");
        h.update(settings.as_bytes());
        Spec {
            format,
            width,
            height,
            quality,
            id: h.finalize().to_hex()[..32].to_string(),
        }
    };
    let webp = widths
        .iter()
        .map(|&x| spec(Format::WebP, x, config.webp_quality))
        .collect();
    let fallback_format = match probe.format {
        ImageFormat::Jpeg => Format::Jpeg,
        ImageFormat::Png => Format::Png,
        _ if probe.alpha => Format::Png,
        _ => Format::Jpeg,
    };
    let fallback = spec(
        fallback_format,
        config.fallback_width.min(w),
        config.jpeg_quality,
    );
    Plan { webp, fallback }
}

fn scaled_height(probe: &Probe, width: u32) -> u32 {
    let h = (u64::from(probe.height) * u64::from(width) + u64::from(probe.width) / 2)
        / u64::from(probe.width);
    (h as u32).max(1)
}

/// Pixels ready to resize: 8-bit RGB, or RGBA when the source has transparency.
pub(crate) struct Pixels {
    image: Image<'static>,
}

impl Pixels {
    /// Converts a decoded image (already oriented).
    pub fn new(decoded: DynamicImage) -> Result<Pixels, ImageError> {
        let (w, h) = (decoded.width(), decoded.height());
        let image = if decoded.color().has_alpha() {
            Image::from_vec_u8(w, h, decoded.into_rgba8().into_raw(), PixelType::U8x4)
        } else {
            Image::from_vec_u8(w, h, decoded.into_rgb8().into_raw(), PixelType::U8x3)
        }
        .map_err(|e| ImageError::Encode(e.to_string()))?;
        Ok(Pixels { image })
    }

    /// Makes the variant `spec`: resized (unless it is the source's size) and encoded.
    pub fn make(&self, spec: &Spec, resizer: &mut Resizer) -> Result<Vec<u8>, ImageError> {
        let src = &self.image;
        let resized;
        let image = if (spec.width, spec.height) == (src.width(), src.height()) {
            src
        } else {
            let mut dst = Image::new(spec.width, spec.height, src.pixel_type());
            let options =
                ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
            resizer
                .resize(src, &mut dst, &options)
                .map_err(|e| ImageError::Encode(e.to_string()))?;
            resized = dst;
            &resized
        };
        encode(image, spec)
    }
}

fn encode(image: &Image<'_>, spec: &Spec) -> Result<Vec<u8>, ImageError> {
    let (w, h) = (image.width(), image.height());
    let alpha = image.pixel_type() == PixelType::U8x4;
    let bytes = image.buffer();
    let err = |e: image::ImageError| ImageError::Encode(e.to_string());
    match spec.format {
        Format::WebP => {
            let encoder = if alpha {
                webp::Encoder::from_rgba(bytes, w, h)
            } else {
                webp::Encoder::from_rgb(bytes, w, h)
            };
            let memory = encoder
                .encode_simple(false, f32::from(spec.quality))
                .map_err(|e| ImageError::Encode(format!("WebP: {e:?}")))?;
            Ok(memory.to_vec())
        }
        Format::Jpeg => {
            let mut out = Vec::with_capacity(bytes.len() / 8);
            let rgb;
            let pixels = if alpha {
                rgb = drop_alpha(bytes);
                &rgb[..]
            } else {
                bytes
            };
            JpegEncoder::new_with_quality(&mut out, spec.quality)
                .write_image(pixels, w, h, ExtendedColorType::Rgb8)
                .map_err(err)?;
            Ok(out)
        }
        Format::Png => {
            let mut out = Vec::with_capacity(bytes.len() / 2);
            let color = if alpha {
                ExtendedColorType::Rgba8
            } else {
                ExtendedColorType::Rgb8
            };
            PngEncoder::new_with_quality(&mut out, CompressionType::Fast, PngFilter::Adaptive)
                .write_image(bytes, w, h, color)
                .map_err(err)?;
            Ok(out)
        }
    }
}

fn drop_alpha(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::decode::{decode, probe};
    use crate::images::testdata;

    fn probe_of(format: ImageFormat, width: u32, height: u32) -> Probe {
        Probe {
            format,
            width,
            height,
            alpha: false,
            orientation: 1,
        }
    }

    #[test]
    fn widths_never_upscale_and_narrow_sources_keep_their_width() {
        let config = ImageConfig::default();
        let big = plan("h", &probe_of(ImageFormat::Jpeg, 4000, 3000), &config);
        let widths: Vec<u32> = big.webp.iter().map(|s| s.width).collect();
        assert_eq!(widths, [480, 960, 1600]);
        assert_eq!((big.webp[1].width, big.webp[1].height), (960, 720));
        assert_eq!(
            (big.fallback.format, big.fallback.width),
            (Format::Jpeg, 960)
        );
        let mid = plan("h", &probe_of(ImageFormat::Png, 1200, 600), &config);
        let widths: Vec<u32> = mid.webp.iter().map(|s| s.width).collect();
        assert_eq!(widths, [480, 960, 1200]);
        assert_eq!(mid.fallback.format, Format::Png);
        let small = plan("h", &probe_of(ImageFormat::Jpeg, 300, 200), &config);
        assert_eq!(small.webp.len(), 1);
        assert_eq!((small.webp[0].width, small.fallback.width), (300, 300));
    }

    #[test]
    fn names_change_with_source_and_settings() {
        let config = ImageConfig::default();
        let p = probe_of(ImageFormat::Jpeg, 2000, 1000);
        let a = plan("hash-a", &p, &config);
        let b = plan("hash-b", &p, &config);
        let q = plan(
            "hash-a",
            &p,
            &ImageConfig {
                webp_quality: 60,
                ..config.clone()
            },
        );
        assert_ne!(a.webp[0].id, b.webp[0].id);
        assert_ne!(a.webp[0].id, q.webp[0].id);
        assert_eq!(
            a,
            plan("hash-a", &p, &config),
            "the same inputs, the same names"
        );
        let key = a.webp[1].key("photo");
        assert!(
            key.starts_with("img/photo.") && key.ends_with(".960.webp"),
            "{key}"
        );
        assert!(crate::publish::headers::is_fingerprinted(&key));
    }

    #[test]
    fn variants_have_the_planned_sizes_and_formats() {
        let jpeg = testdata::jpeg(1000, 750, &testdata::exif(1, true));
        let config = ImageConfig::default();
        let p = probe(&jpeg, config.max_pixels()).unwrap();
        let plan = plan("h", &p, &config);
        let pixels = Pixels::new(decode(&jpeg, config.max_pixels()).unwrap()).unwrap();
        let mut resizer = Resizer::new();
        for spec in plan.specs() {
            let bytes = pixels.make(spec, &mut resizer).unwrap();
            let back = image::load_from_memory(&bytes).unwrap();
            assert_eq!((back.width(), back.height()), (spec.width, spec.height));
            let format = image::guess_format(&bytes).unwrap();
            let expected = match spec.format {
                Format::WebP => ImageFormat::WebP,
                Format::Jpeg => ImageFormat::Jpeg,
                Format::Png => ImageFormat::Png,
            };
            assert_eq!(format, expected);
            assert!(!testdata::contains(
                &bytes,
                testdata::SECRET_MAKE.as_bytes()
            ));
            assert!(!testdata::contains(&bytes, &testdata::gps_latitude_bytes()));
            assert!(!testdata::contains(&bytes, b"Exif\0\0"));
        }
    }

    #[test]
    fn transparency_survives_in_webp_and_png() {
        let png = testdata::png(40, 20, true);
        let config = ImageConfig::default();
        let p = probe(&png, config.max_pixels()).unwrap();
        let plan = plan("h", &p, &config);
        let pixels = Pixels::new(decode(&png, config.max_pixels()).unwrap()).unwrap();
        let bytes = pixels.make(&plan.webp[0], &mut Resizer::new()).unwrap();
        assert!(image::load_from_memory(&bytes).unwrap().color().has_alpha());
    }
}
