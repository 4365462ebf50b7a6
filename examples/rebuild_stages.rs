//! What a rebuild costs on a big site through the incremental `Session` that `serve` keeps:
//! cold, warm with nothing changed, and after editing one post's body.
//! `cargo run --release --example rebuild_stages -- <site-dir>` (restores the post at the end).

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use bucketpress::pipeline::{BuildOptions, Session};

/// One render; a function of its own so callgrind can count just the renders:
/// `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measured_render*' ...`.
#[inline(never)]
fn measured_render(session: &mut Session) -> bucketpress::pipeline::Rendered {
    session.render().expect("site builds")
}

fn main() {
    let site_dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: rebuild_stages <site>"),
    );
    let mut session = Session::new(&site_dir, BuildOptions::default());
    let timed = |label: &str, session: &mut Session| {
        let t = Instant::now();
        let rendered = if label.starts_with("one post") {
            measured_render(session)
        } else {
            session.render().expect("site builds")
        };
        println!(
            "{label}: {} ms, {} outputs, {:?}",
            t.elapsed().as_millis(),
            rendered.outputs.len(),
            session.stats()
        );
        println!("  {}", session.stages());
        rendered
    };
    let first = timed("cold", &mut session);
    drop(first);
    timed("warm, nothing changed", &mut session);

    let mut posts: Vec<PathBuf> = std::fs::read_dir(site_dir.join("content/posts"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    posts.sort();
    let post = &posts[posts.len() / 2];
    let original = std::fs::read_to_string(post).unwrap();
    for round in 0..3 {
        let text = format!("{}\n\nEdited paragraph {round}.\n", original.trim_end());
        std::fs::write(post, text).unwrap();
        // Make sure the stamp moves even on coarse file-system clocks.
        let later = SystemTime::now() + Duration::from_secs(round + 1);
        std::fs::File::options()
            .write(true)
            .open(post)
            .unwrap()
            .set_modified(later)
            .unwrap();
        timed(&format!("one post's body edited ({round})"), &mut session);
    }
    std::fs::write(post, original).unwrap();
}
