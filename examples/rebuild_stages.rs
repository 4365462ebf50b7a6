//! What a rebuild costs on a big site through the incremental `Session` that `serve` keeps:
//! cold, warm with nothing changed, and after editing one post's body (told which file
//! changed, as serve's watcher tells it).
//! `cargo run --release --example rebuild_stages -- <site-dir> [edits]` (3 edits unless told;
//! restores the post at the end). Ends with the fastest and the median edit, since on a
//! noisy machine one round says little.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use bucketpress::pipeline::{BuildOptions, Session};

/// One render; a function of its own so callgrind can count just the renders:
/// `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measured_render*' ...`.
#[inline(never)]
fn measured_render(session: &mut Session, changed: &str) -> bucketpress::pipeline::Rendered {
    session
        .render_changed(Some(&[changed.to_string()]))
        .expect("site builds")
}

fn main() {
    let site_dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: rebuild_stages <site>"),
    );
    let edits: u64 = std::env::args()
        .nth(2)
        .map_or(3, |n| n.parse().expect("a number"));
    let mut session = Session::new(&site_dir, BuildOptions::default());
    let timed = |label: &str, session: &mut Session, edited: Option<&str>| {
        let t = Instant::now();
        let rendered = match edited {
            Some(path) => measured_render(session, path),
            None => session.render().expect("site builds"),
        };
        println!(
            "{label}: {} ms, {} outputs, {:?}",
            t.elapsed().as_millis(),
            rendered.outputs.len(),
            session.stats()
        );
        println!("  {}", session.stages());
        (rendered, t.elapsed())
    };
    let first = timed("cold", &mut session, None);
    drop(first);
    let mut times = Vec::new();
    timed("warm, nothing changed", &mut session, None);

    let mut posts: Vec<PathBuf> = std::fs::read_dir(site_dir.join("content/posts"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    posts.sort();
    let post = &posts[posts.len() / 2];
    let original = std::fs::read_to_string(post).unwrap();
    // The edited post, relative to the site, as serve's watcher reports it.
    let rel = post
        .strip_prefix(&site_dir)
        .unwrap()
        .to_string_lossy()
        .into_owned();
    for round in 0..edits {
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
        let (_, took) = timed(
            &format!("one post's body edited ({round})"),
            &mut session,
            Some(&rel),
        );
        times.push(took);
    }
    std::fs::write(post, original).unwrap();
    times.sort();
    if let (Some(fastest), Some(median)) = (times.first(), times.get(times.len() / 2)) {
        println!(
            "{} edits: fastest {:.1} ms, median {:.1} ms",
            times.len(),
            fastest.as_secs_f64() * 1e3,
            median.as_secs_f64() * 1e3
        );
    }
}
