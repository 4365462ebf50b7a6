//! Where a warm rebuild of a big site spends its time, stage by stage (what `serve` pays on
//! every save). `cargo run --release --example rebuild_stages -- <site-dir>`.

use std::path::PathBuf;
use std::time::Instant;

use bucketpress::config::Config;
use bucketpress::content::{Filter, front_matter, load_sources};
use bucketpress::highlight::Highlighter;
use bucketpress::markdown;
use bucketpress::pipeline::{BuildOptions, render_site_with};
use bucketpress::render::Renderer;
use bucketpress::site::Site;
use bucketpress::templates::Templates;
use rayon::prelude::*;

fn main() {
    let site_dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: rebuild_stages <site>"),
    );
    let opts = BuildOptions::default();
    let highlighter = Highlighter::new();
    let t = Instant::now();
    let first = render_site_with(&site_dir, &opts, &highlighter).expect("site builds");
    println!(
        "cold build: {} ms ({} outputs)",
        t.elapsed().as_millis(),
        first.outputs.len()
    );
    drop(first);
    for round in 0..3 {
        let t = Instant::now();
        render_site_with(&site_dir, &opts, &highlighter).unwrap();
        println!("warm build {round}: {} ms", t.elapsed().as_millis());
    }

    let t = Instant::now();
    let config = Config::load(&site_dir).unwrap().config;
    let templates = Templates::load(&site_dir).unwrap();
    let filter = Filter::new(&config.exclude);
    let sources = load_sources(&site_dir, &filter);
    println!(
        "  load (config, templates, read + parse {} docs): {} ms",
        sources.docs.len(),
        t.elapsed().as_millis()
    );
    let t = Instant::now();
    let site = Site::assemble(
        config,
        sources.docs,
        sources.assets,
        &opts,
        front_matter::now(),
    )
    .unwrap();
    println!("  assemble: {} ms", t.elapsed().as_millis());
    let t = Instant::now();
    let docs: Vec<_> = site.docs().collect();
    let resolve = |_: &str| None;
    let _md: Vec<_> = docs
        .par_iter()
        .map(|d| {
            markdown::render(
                markdown::Source {
                    body: &d.body,
                    body_line: d.body_line,
                    path: &d.rel_path,
                },
                &resolve,
                &highlighter,
            )
        })
        .collect();
    println!(
        "  markdown only (warm highlight cache): {} ms",
        t.elapsed().as_millis()
    );
    let t = Instant::now();
    let outputs = Renderer::new(&site, &templates, &highlighter)
        .render()
        .unwrap();
    println!(
        "  render (markdown + templates + listings + assets): {} ms",
        t.elapsed().as_millis()
    );
    let t = Instant::now();
    let bytes = outputs.total_bytes();
    let old = outputs.clone();
    let d = bucketpress::serve::state::diff(&old, &outputs);
    println!(
        "  serve's diff of {} outputs ({} MB): {} ms, {} changed",
        outputs.len(),
        bytes / 1_000_000,
        t.elapsed().as_millis(),
        d.changed.len()
    );
}
