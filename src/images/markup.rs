//! A processed image as the page sees it: URLs of its variants, its size, and the
//! `<picture>` markup: WebP `srcset` for browsers that take it, the fallback in the source's
//! format for the rest, `width`/`height` so the page does not jump while it loads, and lazy
//! loading for every image but a page's first.

use serde::Serialize;

use crate::highlight::escape_html;

/// One variant's URL and width.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// The URL path, under the site's base path.
    pub url: String,
    /// Width in pixels.
    pub width: u32,
}

/// What templates and Markdown get for an image (`images["posts/t/photo.jpg"]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Picture {
    /// WebP variants, narrowest first.
    pub webp: Vec<Candidate>,
    /// `srcset` of the WebP variants: `/img/a.….480.webp 480w, …`.
    pub srcset: String,
    /// The fallback (`<img src>`): the source's format, at the fallback width at most.
    pub src: String,
    /// The media type of the fallback.
    pub src_type: String,
    /// The fallback's width in pixels.
    pub width: u32,
    /// The fallback's height in pixels (aspect ratio of the source as displayed).
    pub height: u32,
    /// The `sizes` attribute from the site's configuration.
    pub sizes: String,
    /// The widest variant (for OpenGraph images and links to the full picture).
    pub largest: Candidate,
}

impl Picture {
    /// Builds the `srcset` text from `webp`.
    pub(crate) fn srcset_of(webp: &[Candidate]) -> String {
        webp.iter()
            .map(|c| format!("{} {}w", c.url, c.width))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The `<picture>` element. `alt` and `title` are plain text; `eager` for the first image
    /// of a page (it is likely above the fold, so it should not wait for layout).
    pub fn html(&self, alt: &str, title: &str, eager: bool) -> String {
        let mut html = format!(
            "<picture><source type=\"image/webp\" srcset=\"{}\" sizes=\"{}\"><img src=\"{}\" alt=\"{}\"",
            escape_html(&self.srcset),
            escape_html(&self.sizes),
            escape_html(&self.src),
            escape_html(alt),
        );
        if !title.is_empty() {
            html.push_str(&format!(" title=\"{}\"", escape_html(title)));
        }
        let loading = if eager {
            "eager\" fetchpriority=\"high"
        } else {
            "lazy"
        };
        html.push_str(&format!(
            " width=\"{}\" height=\"{}\" loading=\"{loading}\" decoding=\"async\"></picture>",
            self.width, self.height
        ));
        html
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture() -> Picture {
        let webp = vec![
            Candidate {
                url: "/img/a.0123456789abcdef.480.webp".into(),
                width: 480,
            },
            Candidate {
                url: "/img/a.0123456789abcdef.960.webp".into(),
                width: 960,
            },
        ];
        Picture {
            srcset: Picture::srcset_of(&webp),
            largest: webp[1].clone(),
            webp,
            src: "/img/a.fedcba9876543210.960.jpg".into(),
            src_type: "image/jpeg".into(),
            width: 960,
            height: 640,
            sizes: "100vw".into(),
        }
    }

    #[test]
    fn markup_has_srcset_size_and_loading_hints() {
        let html = picture().html("A \"quoted\" <alt>", "", false);
        assert_eq!(
            html,
            "<picture><source type=\"image/webp\" srcset=\"/img/a.0123456789abcdef.480.webp 480w, \
             /img/a.0123456789abcdef.960.webp 960w\" sizes=\"100vw\"><img \
             src=\"/img/a.fedcba9876543210.960.jpg\" alt=\"A &quot;quoted&quot; &lt;alt&gt;\" \
             width=\"960\" height=\"640\" loading=\"lazy\" decoding=\"async\"></picture>"
        );
        let first = picture().html("x", "T", true);
        assert!(first.contains(" title=\"T\" "));
        assert!(first.contains("loading=\"eager\" fetchpriority=\"high\""));
    }
}
