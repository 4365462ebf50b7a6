//! One place for everything the commands print: status lines on stderr unless `--quiet`,
//! warnings and errors always. Plain, stable lines (no colour) when not on a terminal or in CI.

use std::io::{IsTerminal, Write};

use crate::error::Diagnostic;

/// Prints `line` on stdout (the machine-readable output: JSON, plans, paths). A reader that
/// went away (`bucketpress publish --json | head -1`) is not an error: the command carries on
/// and its exit code still says how it went, instead of a panic on the broken pipe.
pub fn stdout_line(line: impl std::fmt::Display) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: cannot write to stdout: {e}");
    }
}

/// Prints status, warnings and errors.
#[derive(Debug, Clone, Copy)]
pub struct Reporter {
    /// Say only errors.
    pub quiet: bool,
    /// Extra detail.
    pub verbose: bool,
    /// Interactive terminal (not CI): progress bars and colour are allowed.
    pub interactive: bool,
}

/// A terminal a person watches: stderr is a TTY and `CI` is not set. Progress bars and
/// colour are for such a terminal only.
pub fn interactive_terminal() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    std::io::stderr().is_terminal() && !ci
}

impl Reporter {
    /// A reporter for the given flags; `interactive` from the terminal and the `CI` variable.
    pub fn new(quiet: bool, verbose: bool) -> Reporter {
        Reporter {
            quiet,
            verbose,
            interactive: interactive_terminal(),
        }
    }

    /// A status line (`built 12 pages in 40 ms`).
    pub fn status(&self, message: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", message.as_ref());
        }
    }

    /// A detail shown with `-v`.
    pub fn detail(&self, message: impl AsRef<str>) {
        if self.verbose && !self.quiet {
            eprintln!("{}", message.as_ref());
        }
    }

    /// A warning.
    pub fn warning(&self, diagnostic: &Diagnostic) {
        eprintln!("warning: {diagnostic}");
    }

    /// Warnings, the same problem at the same place said once with a count of pages
    /// ([`crate::error::grouped`]).
    pub fn warnings(&self, diagnostics: &[Diagnostic]) {
        for line in crate::error::grouped(diagnostics) {
            eprintln!("warning: {line}");
        }
    }

    /// An error line.
    pub fn error(&self, message: impl std::fmt::Display) {
        eprintln!("error: {message}");
    }
}

/// The exit codes of every command, in one place (the README and `--help` list them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Done (or nothing to do).
    Ok = 0,
    /// Content or configuration errors (also key and usage problems of `backup`).
    Errors = 1,
    /// Usage errors: bad flags, an unknown deploy id.
    Usage = 2,
    /// Publishing (or another request to the store) failed.
    Failed = 3,
    /// Another publish changed the site first.
    Conflict = 4,
}

impl Exit {
    /// The process exit status.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The exit named by `code` (a code this program does not use counts as [`Exit::Failed`]).
    pub fn from_code(code: u8) -> Exit {
        match code {
            0 => Exit::Ok,
            1 => Exit::Errors,
            2 => Exit::Usage,
            4 => Exit::Conflict,
            _ => Exit::Failed,
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> std::process::ExitCode {
        std::process::ExitCode::from(exit.code())
    }
}
