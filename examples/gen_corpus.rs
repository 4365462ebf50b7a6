//! Writes the deterministic benchmark corpus (the tests' `corpus.rs`): posts with front matter,
//! a stylesheet and small figures; or edits existing posts in place.
//!
//! ```text
//! cargo run --release --example gen_corpus -- --posts 10000 --out /tmp/c10k
//! cargo run --release --example gen_corpus -- --posts 1000 --out /tmp/c --front toml
//! cargo run --release --example gen_corpus -- --posts 1000 --out /tmp/c --mutate 1
//! cargo run --release --example gen_corpus -- --posts 1000 --out /tmp/c --big
//! ```
//! `--mutate K` rewrites the body of K posts (revision `--generation G`, default 1) and prints
//! their names; the same `--posts`, `--seed` and generation pick the same posts.

#[allow(dead_code)]
#[path = "../tests/integration/corpus.rs"]
mod corpus;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Command-line options.
#[derive(Parser)]
#[command(about = "Write a deterministic blog corpus for benchmarks")]
struct Args {
    /// How many posts the corpus has.
    #[arg(long, default_value_t = 1000)]
    posts: usize,
    /// The folder to write into.
    #[arg(long)]
    out: PathBuf,
    /// The seed: the same seed and count give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Front matter syntax: yaml or toml.
    #[arg(long, default_value = "yaml")]
    front: String,
    /// Rewrite the body of this many existing posts instead of writing the corpus.
    #[arg(long, default_value_t = 0)]
    mutate: usize,
    /// Which revision --mutate writes.
    #[arg(long, default_value_t = 1)]
    generation: u64,
    /// Also write a 20 MB incompressible static/media/big.bin.
    #[arg(long)]
    big: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let Some(front) = corpus::Front::parse(&args.front) else {
        eprintln!("--front takes yaml or toml, not {:?}", args.front);
        return ExitCode::from(2);
    };
    let spec = corpus::Spec {
        posts: args.posts,
        seed: args.seed,
        front,
        big: args.big,
    };
    let result = if args.mutate > 0 {
        corpus::mutate(&spec, &args.out, args.mutate, args.generation).map(|slugs| {
            let shown: Vec<&str> = slugs.iter().take(10).map(String::as_str).collect();
            println!("mutated {} posts: {}", slugs.len(), shown.join(" "));
        })
    } else {
        corpus::generate(&spec, &args.out).map(|()| {
            println!(
                "wrote {} posts under {}",
                spec.posts,
                args.out.join("content/posts").display()
            )
        })
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cannot write the corpus under {}: {e}", args.out.display());
            ExitCode::FAILURE
        }
    }
}
