//! The one integration test binary (ripgrep/mdBook habit): each module covers a command.

mod backup;
mod bad_input;
mod build;
mod ci;
mod cli;
mod cloudfront;
mod cloudfront_stub;
mod corpus;
mod fuzz;
mod images;
mod migrate;
mod migrate_check;
mod private;
mod publish;
mod s3_server;
mod serve;
mod session;
mod setup_bucket;
mod setup_lifecycle;
mod shaping_proxy;
mod site_test;
mod strict_s3;
mod support;
mod torrent;
mod uploads_s3;
mod wording;
