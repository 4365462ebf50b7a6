//! `bucketpress serve`: its arguments, the server from the library ([`Server`]) until
//! Ctrl-C, and opening a browser.

use bucketpress::report::Exit;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context as _;
use tokio::net::TcpListener;

use bucketpress::report::Reporter;
use bucketpress::serve::{ServeOptions, Server};

/// `serve` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// The site folder (holding site.toml).
    #[arg(long, default_value = ".")]
    pub site: PathBuf,
    /// The port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 1111)]
    pub port: u16,
    /// The address to listen on; use 0.0.0.0 to preview from other devices.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Include drafts.
    #[arg(long)]
    pub drafts: bool,
    /// Include posts dated in the future.
    #[arg(long)]
    pub future: bool,
    /// Unknown shortcodes, Liquid tags and variables are warnings, their source shown marked
    /// on the page.
    #[arg(long)]
    pub lenient: bool,
    /// Open the site in the default browser once it is served.
    #[arg(long)]
    pub open: bool,
}

/// Runs `bucketpress serve` until Ctrl-C.
pub fn run(args: &ServeArgs, reporter: Reporter) -> anyhow::Result<Exit> {
    let runtime = super::runtime().context("starting the async runtime")?;
    runtime.block_on(async {
        let at = SocketAddr::new(args.bind, args.port);
        let listener = TcpListener::bind(at).await.with_context(|| {
            format!("cannot listen on {at} (is another server using it? try --port)")
        })?;
        let opts = ServeOptions {
            drafts: args.drafts,
            future: args.future,
            lenient: args.lenient,
            ..ServeOptions::new(&args.site)
        };
        let server = Server::start(listener, opts, reporter).await?;
        reporter.status(format!(
            "serving {} at {} (watching for changes; Ctrl-C to stop)",
            args.site.display(),
            server.url()
        ));
        if args.open {
            open_browser(server.url(), reporter);
        }
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        reporter.status("stopping");
        server.shutdown().await?;
        Ok(Exit::Ok)
    })
}

/// Best effort: a missing opener is reported, never fatal.
fn open_browser(url: &str, reporter: Reporter) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        reporter.status(format!(
            "could not open a browser ({opener}: {e}); open {url}"
        ));
    }
}
