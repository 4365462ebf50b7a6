//! The one integration test binary (ripgrep/mdBook habit): each module covers a command.

mod backup;
mod bad_input;
mod build;
mod ci;
mod cli;
mod cloudfront;
mod cloudfront_stub;
mod fuzz;
mod private;
mod publish;
mod publish_backends;
mod publish_bodies;
mod publish_chaos;
mod publish_cli;
mod publish_dir;
mod publish_faults;
mod publish_kill;
mod publish_site;
mod publish_verify;
mod s3_server;
mod serve;
mod session;
mod setup_bucket;
mod strict_s3;
mod support;
mod torrent;
