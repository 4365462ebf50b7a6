//! The preview server: build the site in memory, serve the same `Outputs` that `publish`
//! uploads with S3-website semantics, watch the sources, rebuild, and reload open pages.
//!
//! Layout: [`watch`] turns file events into change sets (no HTTP), [`state`] rebuilds and holds
//! the last good build, [`reload`] carries events to pages, [`http`] answers requests,
//! [`overlay`] shows build errors in the page.

mod event;
pub mod http;
pub mod overlay;
pub mod reload;
pub mod state;
pub mod watch;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch as tokio_watch};
use tokio::task::JoinHandle;

use crate::pipeline::BuildOptions;
use crate::report::Reporter;
use state::{Builder, Shared};

/// What to serve and how.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The site folder.
    pub site_dir: PathBuf,
    /// Include drafts.
    pub drafts: bool,
    /// Include future posts.
    pub future: bool,
    /// Unknown shortcodes are warnings (`--lenient`).
    pub lenient: bool,
    /// Watch the sources and rebuild on change.
    pub watch: bool,
    /// How long the file system must be quiet before a rebuild.
    pub debounce: Duration,
}

impl ServeOptions {
    /// Options for `site_dir` with watching on and the default debounce.
    pub fn new(site_dir: impl Into<PathBuf>) -> ServeOptions {
        ServeOptions {
            site_dir: site_dir.into(),
            drafts: false,
            future: false,
            lenient: false,
            watch: true,
            // An editor's save (write, or write + rename) is over within a millisecond or
            // two; a longer burst (a checkout) is merged into the running rebuild anyway.
            debounce: Duration::from_millis(10),
        }
    }
}

/// A running preview server. Drop it or call [`Server::shutdown`] to stop.
pub struct Server {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<Shared>,
    shutdown: tokio_watch::Sender<bool>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    watcher: Option<watch::Watcher>,
    builder: Arc<Builder>,
}

/// The site's base URL when served at `addr` (an unspecified address becomes `localhost`).
pub(crate) fn base_url_for(addr: SocketAddr) -> String {
    match addr.ip() {
        ip if ip.is_unspecified() => format!("http://localhost:{}/", addr.port()),
        IpAddr::V6(ip) => format!("http://[{ip}]:{}/", addr.port()),
        IpAddr::V4(ip) => format!("http://{ip}:{}/", addr.port()),
    }
}

impl Server {
    /// Builds the site and serves it on `listener` (bind port 0 for an ephemeral port). A failed
    /// first build is reported and served as an error page until the sources are fixed. Must run
    /// inside a multi-threaded tokio runtime.
    pub async fn start(
        listener: TcpListener,
        opts: ServeOptions,
        reporter: Reporter,
    ) -> anyhow::Result<Server> {
        let addr = listener.local_addr()?;
        let base_url = base_url_for(addr);
        let site_dir = std::fs::canonicalize(&opts.site_dir)
            .with_context(|| format!("site folder {}", opts.site_dir.display()))?;
        let (shutdown, shutdown_rx) = tokio_watch::channel(false);
        let shared = Arc::new(Shared::new(shutdown_rx.clone(), addr.ip().is_loopback()));
        let builder = Arc::new(Builder::new(
            site_dir.clone(),
            BuildOptions {
                drafts: opts.drafts,
                future: opts.future,
                base_url: Some(base_url.clone()),
                lenient: opts.lenient,
            },
            reporter,
        ));

        let (b, s) = (builder.clone(), shared.clone());
        tokio::task::spawn_blocking(move || b.rebuild(&s, None)).await?;
        // The first build makes what the image cache lacks; later edits never wait for it.
        builder.images_in_background(&shared);

        let watcher = if opts.watch {
            let s = shared.clone();
            let builder = builder.clone();
            let on_change = move |changes: watch::ChangeSet| builder.rebuild(&s, Some(&changes));
            Some(
                watch::watch(site_dir.clone(), opts.debounce, on_change)
                    .with_context(|| format!("watching {}", site_dir.display()))?,
            )
        } else {
            None
        };

        let app = http::router(shared.clone());
        let mut stop = shutdown_rx;
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|stopped| *stopped).await;
                })
                .await
        });
        Ok(Server {
            addr,
            base_url,
            shared,
            shutdown,
            task: Some(task),
            watcher,
            builder,
        })
    }

    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL to open (`http://127.0.0.1:1111/`); also the site's `base_url` while serving.
    pub fn url(&self) -> &str {
        &self.base_url
    }

    /// Rebuild events as the pages get them (for embedding and tests).
    pub fn subscribe(&self) -> broadcast::Receiver<reload::Event> {
        self.shared.subscribe()
    }

    /// The current errors (empty when the last build was good).
    pub fn errors(&self) -> Vec<String> {
        self.shared.snapshot().errors.clone()
    }

    /// Stops watching, closes live-reload sockets, waits for open requests to finish, and
    /// saves the highlight cache so the next `build` or `serve` starts warm.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        self.watcher = None;
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            task.await??;
        }
        let builder = self.builder.clone();
        tokio::task::spawn_blocking(move || builder.save_caches()).await?;
        Ok(())
    }
}

impl Drop for Server {
    /// Stops watching and serving without waiting.
    fn drop(&mut self) {
        self.watcher = None;
        let _ = self.shutdown.send(true);
    }
}
