//! `bucketpress serve` end to end through the library: a real server on an ephemeral port, real
//! HTTP and WebSocket clients, real file edits under a copy of `example-site/`.

mod browser;
mod cdp;
mod images;
mod overlay;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bucketpress::pipeline::{BuildOptions, render_site};
use bucketpress::report::Reporter;
use bucketpress::serve::reload::{BEGIN_MARK, END_MARK, Event, WS_PATH};
use bucketpress::serve::{ServeOptions, Server};
use futures_util::StreamExt;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

/// How long any one awaited event may take before the test gives up (a deadline, not a
/// timing assertion: slow machines only make tests slower).
const DEADLINE: Duration = Duration::from_secs(60);

/// A server over a private copy of the example site.
pub struct Preview {
    pub server: Server,
    pub dir: tempfile::TempDir,
    client: reqwest::Client,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

impl Preview {
    pub async fn start() -> Preview {
        Preview::start_with(|_| {}).await
    }

    /// Starts over a copy of the example site changed by `prepare` first.
    pub async fn start_with(prepare: impl FnOnce(&Path)) -> Preview {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("example-site"),
            dir.path(),
        );
        prepare(dir.path());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let reporter = Reporter {
            quiet: true,
            verbose: false,
            interactive: false,
        };
        let server = Server::start(listener, ServeOptions::new(dir.path()), reporter)
            .await
            .unwrap();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Preview {
            server,
            dir,
            client,
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr())
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    async fn text(&self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        r.text().await.unwrap()
    }

    /// Polls `path` until its body contains `needle` (a save may take two rebuilds).
    async fn wait_for_text(&self, path: &str, needle: &str) {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let body = self.get(path).await.text().await.unwrap();
            if body.contains(needle) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{path} never showed {needle:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends a request line as is (clients normalise `..` and `%2e%2e` away) and returns the
    /// status code.
    async fn raw_status(&self, path: &str, host: &str) -> u16 {
        let mut s = tokio::net::TcpStream::connect(self.server.addr())
            .await
            .unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).await.unwrap();
        answer[9..12].parse().unwrap()
    }

    /// A live-reload connection that has received its greeting.
    async fn reload_socket(&self) -> (Socket, Event) {
        let url = format!("ws://{}{WS_PATH}", self.server.addr());
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut socket = Socket(ws);
        let hello = socket.next().await;
        (socket, hello)
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Socket(Ws);

impl Socket {
    async fn next(&mut self) -> Event {
        loop {
            let msg = tokio::time::timeout(DEADLINE, self.0.next())
                .await
                .expect("no live-reload event before the deadline")
                .expect("socket open")
                .unwrap();
            if let Message::Text(text) = msg {
                return serde_json::from_str(&text).unwrap();
            }
        }
    }

    /// The next event `wanted` accepts, skipping others (a save may take two rebuilds).
    async fn until(&mut self, wanted: impl Fn(&Event) -> bool) -> Event {
        loop {
            let event = self.next().await;
            if wanted(&event) {
                return event;
            }
        }
    }
}

/// Writes like editors that save to a temporary file and rename it over the original.
fn save_by_rename(path: &Path, text: &str) {
    let tmp = path.with_file_name(format!(
        ".{}.swp",
        path.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn strip_injected(html: &str) -> String {
    let start = html.find(BEGIN_MARK).expect("reload block injected");
    let end = html.find(END_MARK).unwrap() + END_MARK.len();
    format!("{}{}", &html[..start], &html[end..])
}

const POST: &str = "content/posts/why-a-bucket.md";
const POST_URL: &str = "/posts/why-a-bucket/";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_outputs_with_s3_website_semantics() {
    let p = Preview::start().await;
    assert!(p.server.errors().is_empty());

    let home = p.get("/").await;
    assert_eq!(home.status(), StatusCode::OK);
    assert_eq!(home.headers()["content-type"], "text/html; charset=utf-8");
    let home = home.text().await.unwrap();
    assert!(home.contains("Field Notes"));
    assert!(home.contains(BEGIN_MARK));

    let slashless = p.get("/posts/why-a-bucket").await;
    assert_eq!(slashless.status(), StatusCode::FOUND);
    assert_eq!(slashless.headers()["location"], POST_URL);

    let alias = p.get("/2024/02/moving-to-s3/").await;
    assert_eq!(alias.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(alias.headers()["location"], POST_URL);

    let missing = p.get("/no/such/page/").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        missing.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    assert!(missing.text().await.unwrap().contains(BEGIN_MARK));

    for (path, ty) in [
        ("/style.css", "text/css; charset=utf-8"),
        ("/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/posts/slow-train-to-lisbon/tagus-sunset.png", "image/png"),
        ("/favicon.svg", "image/svg+xml; charset=utf-8"),
    ] {
        let r = p.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["content-type"], ty, "{path}");
        assert!(!r.text().await.unwrap().contains(BEGIN_MARK), "{path}");
    }
    let head = p.client.head(p.url(POST_URL)).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    let post = p.client.post(p.url(POST_URL)).send().await.unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);

    // Links point at the preview, and what `build` would write carries no reload script: the
    // served page is the built page plus the injected block, byte for byte.
    assert!(p.text("/atom.xml").await.contains(p.server.url()));
    let built = render_site(
        p.dir.path(),
        &BuildOptions {
            base_url: Some(p.server.url().to_string()),
            ..BuildOptions::default()
        },
    )
    .unwrap();
    for (key, path) in [
        ("index.html", "/"),
        ("posts/why-a-bucket/index.html", POST_URL),
    ] {
        let bytes = built.outputs.get(key).unwrap().body.read_all().unwrap();
        let html = String::from_utf8(bytes).unwrap();
        assert!(!html.contains("bucketpress:livereload"), "{key}");
        assert_eq!(strip_injected(&p.text(path).await), html, "{key}");
    }

    // Only outputs are served, never the files behind them; traversal is refused.
    for path in [
        "/site.toml",
        "/content/posts/why-a-bucket.md",
        "/static/favicon.svg",
    ] {
        assert_eq!(p.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    for path in [
        "/../site.toml",
        "/%2e%2e/site.toml",
        "/posts/%2E%2E/%2e%2e/site.toml",
        "/..%2f..%2fsite.toml",
        "/posts%2fwhy-a-bucket/",
        "/..%5csite.toml",
    ] {
        let status = p.raw_status(path, "localhost").await;
        assert!(status == 400 || status == 404, "{path}: {status}");
    }
    // DNS rebinding: another site's name pointing at 127.0.0.1 gets nothing.
    assert_eq!(p.raw_status("/", "evil.example:1111").await, 403);
    assert_eq!(p.raw_status("/", "localhost:1111").await, 200);
    p.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_reload_errors_overlay_and_recover() {
    let p = Preview::start().await;
    let (mut socket, hello) = p.reload_socket().await;
    let Event::Hello { errors, .. } = hello else {
        panic!("expected hello, got {hello:?}")
    };
    assert!(errors.is_empty());
    let original = std::fs::read_to_string(p.path(POST)).unwrap();

    // An edit: new content and a reload event.
    let edited = original.replace("For seven years", "EDITED-MARKER For seven years");
    std::fs::write(p.path(POST), &edited).unwrap();
    socket.until(|e| matches!(e, Event::Reload { .. })).await;
    assert!(p.text(POST_URL).await.contains("EDITED-MARKER"));

    // A broken edit, saved the vim way (probe file, swap file, rename): the error is reported
    // and shown over the last good page, which is still served.
    std::fs::write(p.path("content/posts/4913"), "").unwrap();
    std::fs::remove_file(p.path("content/posts/4913")).unwrap();
    let broken = edited.replace("date: 2024-02-11", "date: someday");
    save_by_rename(&p.path(POST), &broken);
    let event = socket.until(|e| matches!(e, Event::Errors { .. })).await;
    let Event::Errors { errors } = event else {
        unreachable!()
    };
    assert!(
        errors
            .iter()
            .any(|e| e.contains("why-a-bucket.md") && e.contains("someday")),
        "{errors:?}"
    );
    assert_eq!(p.server.errors(), errors);
    let page = p.text(POST_URL).await;
    assert!(page.contains("EDITED-MARKER"));
    assert!(page.contains("<div id=\"__bucketpress_overlay\""));
    assert!(page.contains("someday"));
    let (mut late, hello) = p.reload_socket().await;
    assert!(matches!(hello, Event::Hello { ref errors, .. } if !errors.is_empty()));

    // Fixed: a reload, the new content, no overlay.
    let fixed = original.replace("For seven years", "FIXED-MARKER For seven years");
    save_by_rename(&p.path(POST), &fixed);
    socket.until(|e| matches!(e, Event::Reload { .. })).await;
    late.until(|e| matches!(e, Event::Reload { .. })).await;
    assert!(p.server.errors().is_empty());
    let page = p.text(POST_URL).await;
    assert!(page.contains("FIXED-MARKER"));
    assert!(!page.contains("<div id=\"__bucketpress_overlay\""));

    // A stylesheet-only change swaps stylesheets instead of reloading.
    std::fs::write(
        p.path("static/style.css"),
        "body { background: #fdf6e3; }\n",
    )
    .unwrap();
    socket.until(|e| matches!(e, Event::Css { .. })).await;
    p.wait_for_text("/style.css", "#fdf6e3").await;

    // Dotfiles and the output folder are not sources (the watcher's unit tests say which
    // paths count); a template created in a new folder is picked up.
    std::fs::write(p.path("content/.notes"), "x").unwrap();
    std::fs::create_dir_all(p.path("public")).unwrap();
    std::fs::write(p.path("public/index.html"), "x").unwrap();
    std::fs::create_dir_all(p.path("templates")).unwrap();
    std::fs::write(p.path("templates/404.html"), "<p>TEMPLATE-MARKER</p>").unwrap();
    socket.until(|e| matches!(e, Event::Reload { .. })).await;
    p.wait_for_text("/nowhere", "TEMPLATE-MARKER").await;
    assert_eq!(p.get("/nowhere").await.status(), StatusCode::NOT_FOUND);
    p.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_that_never_built_recovers() {
    let p = Preview::start_with(|dir| {
        std::fs::write(dir.join("site.toml"), "title = [broken\n").unwrap()
    })
    .await;
    assert!(!p.server.errors().is_empty());
    let mut events = p.server.subscribe();
    let r = p.get("/").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("site.toml"));

    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("example-site/site.toml"),
        p.path("site.toml"),
    )
    .unwrap();
    loop {
        let event = tokio::time::timeout(DEADLINE, events.recv())
            .await
            .expect("rebuild before the deadline")
            .unwrap();
        if matches!(event, Event::Reload { .. }) {
            break;
        }
    }
    assert!(p.text("/").await.contains("Field Notes"));
    p.server.shutdown().await.unwrap();
}
