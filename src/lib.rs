//! bucketpress: render a Markdown blog into plain files and publish only what changed to S3.
//!
//! The pipeline: sources → [`site::Site`] → [`outputs::Outputs`] → write | serve | plan → apply.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod backup;
pub mod config;
pub mod content;
pub mod error;
pub mod highlight;
pub mod images;
pub mod links;
pub mod markdown;
pub mod outputs;
pub mod pipeline;
pub mod private;
pub mod publish;
pub mod render;
pub mod report;
pub mod scaffold;
pub mod serve;
pub mod session;
pub mod shortcodes;
pub mod site;
pub mod sources_hash;
pub mod templates;
pub mod timing;
pub mod torrent;
pub mod urlcheck;
pub mod write;
