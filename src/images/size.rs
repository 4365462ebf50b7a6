//! The pixel size of the images the image step leaves as they are (GIF, SVG, AVIF…, and
//! every image when `[images] enabled = false`), read from their headers alone, so Markdown's
//! `<img>` gets `width` and `height` and the page does not jump as they load.

use crate::outputs::Body;

/// The extensions of images whose size is read.
const IMAGES: &[&str] = &[
    "gif", "png", "jpg", "jpeg", "webp", "avif", "bmp", "ico", "svg", "tif", "tiff",
];

/// True when `key` names an image by its extension.
pub(crate) fn is_image(key: &str) -> bool {
    let ext = key.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    ext.is_some_and(|e| IMAGES.contains(&e.as_str()))
}

/// The (width, height) of the image `key` holds in `body`, if its header says; `None` for a
/// damaged file (it is published as it is; the page just lacks the size).
pub(crate) fn of(key: &str, body: &Body) -> Option<(u32, u32)> {
    if key.to_ascii_lowercase().ends_with(".svg") {
        return svg(&body.read_all().ok()?);
    }
    let size = match body {
        Body::Bytes(bytes) => imagesize::blob_size(bytes).ok()?,
        Body::File { path, .. } => imagesize::size(path).ok()?,
        Body::Dropped { .. } => return None,
    };
    Some((
        u32::try_from(size.width).ok()?,
        u32::try_from(size.height).ok()?,
    ))
}

/// The size an SVG asks for: its root's `width` and `height` in pixels (`px` or no unit),
/// else its `viewBox`.
fn svg(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                if e.local_name().as_ref() == b"svg" =>
            {
                let attr = |name: &[u8]| -> Option<String> {
                    let a = e.try_get_attribute(name).ok()??;
                    Some(String::from_utf8_lossy(&a.value).into_owned())
                };
                let px = |v: Option<String>| -> Option<u32> {
                    let v = v?;
                    let n: f64 = v.trim().trim_end_matches("px").trim().parse().ok()?;
                    (n > 0.0 && n < 100_000.0).then(|| n.round() as u32)
                };
                if let (Some(w), Some(h)) = (px(attr(b"width")), px(attr(b"height"))) {
                    return Some((w, h));
                }
                let view: Vec<f64> = attr(b"viewBox")?
                    .split([' ', ','])
                    .filter(|s| !s.is_empty())
                    .filter_map(|s| s.parse().ok())
                    .collect();
                let [_, _, w, h] = view[..] else {
                    return None;
                };
                return (w > 0.0 && h > 0.0 && w < 100_000.0 && h < 100_000.0)
                    .then(|| (w.round() as u32, h.round() as u32));
            }
            quick_xml::events::Event::Eof => return None,
            _ => {}
        }
        buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn bytes(b: &[u8]) -> Body {
        Body::Bytes(Arc::from(b))
    }

    #[test]
    fn svg_size_from_attributes_or_view_box() {
        let sized = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="120px" height="80"/>"#;
        assert_eq!(of("a.svg", &bytes(sized)), Some((120, 80)));
        let boxed =
            br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 360"><rect/></svg>"#;
        assert_eq!(of("a.SVG", &bytes(boxed)), Some((640, 360)));
        let relative = br#"<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="100%"/>"#;
        assert_eq!(of("a.svg", &bytes(relative)), None);
    }

    #[test]
    fn raster_size_from_the_header() {
        // A 3x2 GIF header (logical screen descriptor), the rest of the file missing.
        let gif = b"GIF89a\x03\x00\x02\x00\x00\x00\x00";
        assert_eq!(of("a.gif", &bytes(gif)), Some((3, 2)));
        assert_eq!(of("a.gif", &bytes(b"not an image")), None);
        assert!(is_image("x/y.GIF") && is_image("a.svg") && !is_image("a.txt"));
    }
}
