//! bucketpress: render a Markdown blog into plain files and publish only what changed to S3.
//!
//! The pipeline: sources → [`site::Site`] → [`outputs::Outputs`] → write | serve | plan → apply.
#![warn(missing_docs)]

pub mod config;
pub mod content;
pub mod error;
pub mod outputs;
pub mod publish;
