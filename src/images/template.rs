//! The `image` template function (also `resize_image`, Zola's name): a processed image by
//! object key (`posts/t/a.jpg`, `/img/logo.png`) or source path (`content/posts/t/a.jpg`).
//! Without `width` it returns the picture (`srcset`, `src`, `width`, `height`, `webp`,
//! `largest`, `sizes`); with `width=N` the narrowest WebP variant at least N pixels wide (or
//! the widest there is) as `{url, width, height}`. Variants are made at build time for every
//! raster image, so a template only picks among them: it never starts image work.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use tera::Value;

use super::Catalog;

/// The catalog the function reads: set before each render.
pub(crate) type ImageSlot = Arc<RwLock<Arc<Catalog>>>;

/// The Tera function.
pub(crate) struct ImageFunction {
    slot: ImageSlot,
}

impl ImageFunction {
    /// A function reading `slot`.
    pub fn new(slot: ImageSlot) -> ImageFunction {
        ImageFunction { slot }
    }
}

impl tera::Function for ImageFunction {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let path = args
            .get("path")
            .and_then(Value::as_str)
            .ok_or("image() needs path=\"posts/x/photo.jpg\" (an image of content/ or static/)")?;
        let catalog = self.slot.read().map_err(|_| "image catalog lock")?.clone();
        let picture = catalog.find(path).ok_or_else(|| {
            format!("image(path={path:?}): no JPEG, PNG or WebP file of content/ or static/ is published there")
        })?;
        let width = match args.get("width") {
            None => return Ok(tera::to_value(picture)?),
            Some(w) => w
                .as_u64()
                .ok_or("image(width=…) must be a whole number of pixels")?,
        };
        let chosen = picture
            .webp
            .iter()
            .find(|c| u64::from(c.width) >= width)
            .unwrap_or(&picture.largest);
        let height =
            u64::from(picture.height) * u64::from(chosen.width) / u64::from(picture.width.max(1));
        Ok(serde_json::json!({
            "url": chosen.url,
            "width": chosen.width,
            "height": height,
        }))
    }

    fn is_safe(&self) -> bool {
        false
    }
}
