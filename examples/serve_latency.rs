//! Measures what a writer waits for in `bucketpress serve`: from saving one post to having its
//! new page, through the whole loop (notify, debounce, rebuild, reload event, HTTP fetch).
//!
//! `cargo run --release --example serve_latency -- <site-dir> [rounds]` (edits the site's first
//! post in place and restores it at the end).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bucketpress::report::Reporter;
use bucketpress::serve::reload::{Event, WS_PATH};
use bucketpress::serve::{ServeOptions, Server};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

fn first_post(site: &Path) -> PathBuf {
    let mut posts: Vec<PathBuf> = walk(&site.join("content"));
    posts.retain(|p| p.extension().is_some_and(|e| e == "md"));
    posts.sort();
    posts.into_iter().next().expect("a post under content/")
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let site = PathBuf::from(
        args.next()
            .expect("usage: serve_latency <site-dir> [rounds]"),
    );
    let rounds: usize = args.next().map_or(5, |r| r.parse().unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let reporter = Reporter::new(false, false);
    let started = Instant::now();
    let server = Server::start(listener, ServeOptions::new(&site), reporter)
        .await
        .unwrap();
    eprintln!(
        "first build and start: {} ms",
        started.elapsed().as_millis()
    );

    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}{WS_PATH}", server.addr()))
        .await
        .unwrap();
    let post = first_post(&site);
    let original = std::fs::read_to_string(&post).unwrap();
    let client = reqwest::Client::new();
    let stem = post.file_stem().unwrap().to_string_lossy();
    let page = format!("{}posts/{stem}/", server.url());
    let mut samples = Vec::new();
    for round in 0..rounds {
        let marker = format!("latency-marker-{round}-{}", std::process::id());
        let edited = original.replacen("\n---\n", &format!("\n---\n\n{marker}\n"), 1);
        let t0 = Instant::now();
        std::fs::write(&post, &edited).unwrap();
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(120), ws.next())
                .await
                .expect("a reload within two minutes")
                .unwrap()
                .unwrap();
            let Message::Text(text) = msg else { continue };
            if let Event::Reload { .. } = serde_json::from_str(&text).unwrap() {
                break;
            }
        }
        let event_at = t0.elapsed();
        let body = client
            .get(&page)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let total = t0.elapsed();
        assert!(body.contains(&marker), "{page} has the edit");
        samples.push(total);
        eprintln!(
            "round {round}: reload event after {} ms, new page fetched after {} ms",
            event_at.as_millis(),
            total.as_millis(),
        );
    }
    std::fs::write(&post, &original).unwrap();
    samples.sort();
    eprintln!(
        "edit → page: median {} ms, min {} ms, max {} ms over {rounds} rounds",
        samples[samples.len() / 2].as_millis(),
        samples[0].as_millis(),
        samples[samples.len() - 1].as_millis()
    );
    server.shutdown().await.unwrap();
}
