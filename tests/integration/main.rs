//! The one integration test binary (ripgrep/mdBook habit): each module covers a command.

mod bad_input;
mod build;
mod cli;
mod serve;
mod session;
mod support;
