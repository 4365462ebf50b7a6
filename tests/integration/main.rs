//! The one integration test binary: each module covers one area.

mod publish;
mod publish_dir;
mod publish_faults;
mod s3_server;
