//! The `bucketpress` binary: parse the command line, run a command ([`cmd`]), print errors,
//! exit with a code ([`Exit`]).

#![forbid(unsafe_code)]

mod cmd;

use std::process::ExitCode;

use clap::Parser;

use bucketpress::report::{Exit, Reporter};
use cmd::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (_, 0) => "warn",
        (_, 1) => "info",
        _ => "debug",
    };
    // The AWS SDK's own warnings (a credential chain's Debug dump when no credentials are
    // found) are said again by our one-line errors: shown from -vv (or BUCKETPRESS_LOG) only.
    let filter = match level {
        "debug" => level.to_string(),
        _ => format!("{level},aws_config=error,aws_smithy_runtime=error"),
    };
    let reporter = Reporter::new(cli.quiet, cli.verbose > 0);
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BUCKETPRESS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        // No colour codes in CI logs, even when the runner fakes a terminal.
        .with_ansi(reporter.interactive)
        .without_time()
        .init();
    match cmd::run(cli.command, reporter) {
        Ok(exit) => exit.into(),
        Err(e) => {
            reporter.error(format!("{e:#}"));
            Exit::Errors.into()
        }
    }
}
