//! The `[images]` section of `site.toml`: which widths, which quality, what to do with big
//! originals. Defaults suit a one-column blog; every setting feeds the variants' names, so a
//! changed setting makes new files and never serves a stale one.

use bytesize::ByteSize;
use serde::{Deserialize, Serialize};

/// The `[images]` section of `site.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageConfig {
    /// Make responsive variants at all (default: yes). Off: images are copied as they are.
    pub enabled: bool,
    /// The widths of the WebP variants, in pixels; a source is never upscaled.
    pub widths: Vec<u32>,
    /// The width of the fallback in the source's own format (`<img src>`), at most.
    pub fallback_width: u32,
    /// WebP quality, 1 to 100.
    pub webp_quality: u8,
    /// JPEG quality of JPEG fallbacks, 1 to 100.
    pub jpeg_quality: u8,
    /// The `sizes` attribute: how wide the image shows, for the browser's pick in `srcset`.
    pub sizes: String,
    /// Originals bigger than this are not published (their variants are); bytes or `"1MiB"`.
    pub max_original: ByteSize,
    /// Publish originals of any size (still without metadata).
    pub publish_originals: bool,
    /// Refuse images with more pixels than this (decompression bombs), in megapixels.
    pub max_megapixels: u32,
}

impl Default for ImageConfig {
    fn default() -> ImageConfig {
        ImageConfig {
            enabled: true,
            widths: vec![480, 960, 1600],
            fallback_width: 960,
            webp_quality: 80,
            jpeg_quality: 82,
            sizes: "(max-width: 46rem) 100vw, 46rem".into(),
            max_original: ByteSize::mib(1),
            publish_originals: false,
            max_megapixels: 100,
        }
    }
}

impl ImageConfig {
    /// The first setting that is out of range: (key, what is expected, what was found).
    pub fn problem(&self) -> Option<(&'static str, &'static str, String)> {
        if self.widths.is_empty() || self.widths.iter().any(|w| *w == 0 || *w > 16_383) {
            let expected = "a list of widths from 1 to 16383 pixels, such as [480, 960, 1600]";
            return Some(("widths", expected, format!("{:?}", self.widths)));
        }
        if self.fallback_width == 0 {
            return Some(("fallback_width", "a width above 0", "0".into()));
        }
        for (key, q) in [
            ("webp_quality", self.webp_quality),
            ("jpeg_quality", self.jpeg_quality),
        ] {
            if !(1..=100).contains(&q) {
                return Some((key, "a quality from 1 to 100", q.to_string()));
            }
        }
        if self.max_megapixels == 0 {
            return Some(("max_megapixels", "a number above 0", "0".into()));
        }
        None
    }

    /// The widths sorted, without duplicates.
    pub(crate) fn sorted_widths(&self) -> Vec<u32> {
        let mut widths = self.widths.clone();
        widths.sort_unstable();
        widths.dedup();
        widths
    }

    /// The most pixels an image may have.
    pub(crate) fn max_pixels(&self) -> u64 {
        u64::from(self.max_megapixels) * 1_000_000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        assert_eq!(ImageConfig::default().problem(), None);
        let bad = ImageConfig {
            widths: vec![960, 0],
            ..ImageConfig::default()
        };
        assert_eq!(bad.problem().map(|p| p.0), Some("widths"));
        let bad = ImageConfig {
            webp_quality: 0,
            ..ImageConfig::default()
        };
        assert_eq!(bad.problem().map(|p| p.0), Some("webp_quality"));
    }
}
