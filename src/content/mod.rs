//! Content: source files → posts and pages (front matter, slugs, drafts, bundles).

pub mod front_matter;
