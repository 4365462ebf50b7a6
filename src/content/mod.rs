//! Content: source files → posts, pages and sections (front matter, dates, URLs, drafts,
//! bundles), in the layouts of Jekyll, Hugo and Zola as well as bucketpress's own.

pub mod date;
pub mod doc;
#[cfg(test)]
mod doc_tests;
pub mod front_matter;
mod known_keys;
pub mod load;
pub mod permalink;
pub mod section;
pub mod settings;
pub mod url;

pub use doc::{Doc, DocKind, tag_slug};
pub(crate) use load::left_out;
pub use load::{Filter, Scan, SourceAsset, scan};
pub(crate) use section::normalize_site_path;
pub use settings::{ContentConfig, ContentOptions};
