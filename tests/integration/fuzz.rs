//! Property tests (proptest) of the parsers that read what users and stores hand us: front
//! matter split and parse, Markdown rendering with internal-link resolution, and manifest
//! decoding. None may panic, whatever the input.
//!
//! The default `cargo test` runs proptest's default 256 cases per property (a few seconds in
//! all). For a longer run, raise the case count (`PROPTEST_CASES` is read by proptest):
//!
//! ```sh
//! PROPTEST_CASES=40000 cargo test --release --test integration fuzz
//! ```
//!
//! (about a minute on two busy cores once the release build exists: 20,000 cases took 32 s).
//! A failing case is shrunk and printed, and its seed saved in
//! `tests/proptest-regressions/fuzz.txt` (re-run first every time); also keep it as a plain
//! regression test, like `fuzz_regression_closing_fence_at_end_of_file`.

use std::sync::OnceLock;

use proptest::prelude::*;

use bucketpress::content::front_matter::{Format, parse, split};
use bucketpress::error::Problem;
use bucketpress::highlight::Highlighter;
use bucketpress::markdown::{Source, render};
use bucketpress::publish::manifest::{Entry, Manifest};

/// Text that looks like the start of a source file: fences, keys, dates, odd line ends, BOM.
fn file_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("---".to_string()),
        Just("+++".to_string()),
        Just("---  ".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\u{feff}".to_string()),
        Just("title: A\n".to_string()),
        Just("title = \"A\"\n".to_string()),
        Just("date: 2024-02-30\n".to_string()),
        Just("date = 2024-05-06T07:08:09Z\n".to_string()),
        Just("tags: [a, b\n".to_string()),
        Just("[taxonomies]\ntags = [\"x\"]\n".to_string()),
        Just("draft: yes\n".to_string()),
        Just("aliases: {x: 1}\n".to_string()),
        "[ -~]{0,12}",
        "\\PC{0,6}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

/// Lines of `text` (a final line without a newline counts).
fn line_count(text: &str) -> usize {
    text.matches('\n').count() + 1
}

/// The shared properties of a split of `text`.
fn check_split(text: &str) {
    let s = match split(text) {
        Ok(s) => s,
        Err((line, _)) => {
            assert_eq!(line, 1, "split errors point at the opening fence");
            return;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The body is what follows the header, and its first line is counted right.
    assert!(text.ends_with(s.body), "body is not a suffix");
    let head = &text[..text.len() - s.body.len()];
    // The body starts on the line after the closing fence, even when that fence ends the file
    // without a newline (then the body is empty and its line is one past the file).
    let unterminated = s.format.is_some() && !head.ends_with('\n');
    assert_eq!(
        s.body_line,
        head.matches('\n').count() + 1 + usize::from(unterminated)
    );
    if unterminated {
        assert!(s.body.is_empty());
    }
    match s.format {
        None => {
            assert_eq!(s.body, text);
            assert!(s.front.is_empty());
        }
        Some(format) => {
            let fence = match format {
                Format::Yaml => "---",
                Format::Toml => "+++",
            };
            // fence line + front + fence line + body reassemble the file.
            let (first, rest) = head.split_once('\n').expect("an opening fence line");
            assert_eq!(first.trim_end(), fence);
            assert_eq!(s.front_line, 2);
            assert!(rest.starts_with(s.front), "front is not after the fence");
            let closing = &rest[s.front.len()..];
            assert_eq!(closing.trim_end(), fence, "closing fence line {closing:?}");
            assert!(closing.matches('\n').count() <= 1);
            assert!(s.front.is_empty() || s.front.ends_with('\n'));
        }
    }
    // Parsing never panics, and errors point inside the file.
    if let Err((line, _)) = parse(&s) {
        assert!(
            (1..=line_count(text)).contains(&line),
            "line {line} of {}",
            line_count(text)
        );
    }
}

#[test]
fn fuzz_regression_closing_fence_at_end_of_file() {
    // Found by `fuzz_front_matter_on_file_like_text`: a closing fence without a newline.
    let s = split("---\n---").unwrap();
    assert_eq!((s.front, s.body, s.body_line), ("", "", 3));
    check_split("---\n---");
    check_split("+++\ntitle = \"A\"\n+++  ");
}

/// The highlighter, loaded once.
fn highlighter() -> &'static Highlighter {
    static H: OnceLock<Highlighter> = OnceLock::new();
    H.get_or_init(Highlighter::new)
}

/// Documents the resolver knows, and the URL of each.
fn resolve(target: &str) -> Option<String> {
    match target {
        "content/posts/a.md" => Some("/posts/a/".into()),
        "content/posts/b.md" => Some("/posts/b/".into()),
        "content/about.md" => Some("/about/".into()),
        _ => None,
    }
}

/// Markdown-ish text: links of every style, reference definitions, code, quotes, tables,
/// footnotes, HTML, headings with attributes.
fn markdown_like() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(vec![
        "[",
        "](",
        ")",
        "]",
        "![",
        "@/posts/a.md",
        "@/missing.md",
        "@/../x.md",
        "../about.md",
        "#",
        "\n",
        "\n\n",
        "\r\n",
        "```rust\n",
        "```",
        "    ",
        "> ",
        "- ",
        "| a | b |\n|---|---|\n",
        "[^1]",
        "[^1]: ",
        "[r]: @/posts/missing.md\n",
        "[r]",
        "<a href=\"@/posts/a.md\">",
        "## h {#id}\n",
        "<!-- more -->",
        "*",
        "`",
    ])
    .prop_map(String::from);
    let piece = prop_oneof![6 => fixed, 1 => "[a-z ]{0,8}", 1 => "\\PC{0,3}"];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

/// One block of a generated Markdown body.
#[derive(Debug, Clone)]
enum Block {
    /// A paragraph holding one link (destination as written) between plain words.
    Link(String, String, String),
    /// A paragraph of plain words.
    Words(String),
    /// A heading.
    Heading(String),
}

fn block() -> impl Strategy<Value = Block> {
    let dest = prop_oneof![
        Just("@/posts/a.md"),
        Just("@/posts/b.md#intro"),
        Just("@/about.md"),
        Just("@/posts/missing.md"),
        Just("@/../../etc/passwd.md"),
        Just("@/posts/./a.md#"),
        Just("b.md"),
        Just("../about.md#x"),
        Just("../../../x.md"),
        Just("https://example.org/a.md"),
        Just("/posts/a/"),
    ];
    let words = "[a-z ]{0,20}";
    prop_oneof![
        (words, dest, words).prop_map(|(a, d, b)| Block::Link(a, d.to_string(), b)),
        words.prop_map(Block::Words),
        "[a-z]{1,10}".prop_map(Block::Heading),
    ]
}

proptest! {
    #[test]
    fn fuzz_front_matter_split_and_parse_never_panic(text in "\\PC*") {
        check_split(&text);
    }

    #[test]
    fn fuzz_front_matter_on_file_like_text(text in file_like()) {
        check_split(&text);
    }

    #[test]
    fn fuzz_markdown_never_panics_and_errors_have_lines_in_the_body(
        body in prop_oneof!["\\PC{0,200}".prop_map(String::from), markdown_like()],
        body_line in 1usize..50,
    ) {
        let source = Source { body: &body, body_line, path: "content/posts/this.md", base_path: "/" };
        let last = body_line + line_count(&body) - 1;
        match render(source, &resolve, highlighter()) {
            Ok(doc) => {
                for link in &doc.links {
                    prop_assert!((body_line..=last).contains(&link.line));
                    prop_assert!(resolve(&link.target).is_some());
                }
            }
            Err(errors) => {
                for (line, _) in &errors {
                    prop_assert!((body_line..=last).contains(line), "line {} not in {}..={}", line, body_line, last);
                }
            }
        }
    }

    #[test]
    fn fuzz_every_internal_link_resolves_or_is_reported_on_its_line(
        blocks in prop::collection::vec(block(), 0..12),
        body_line in 1usize..20,
    ) {
        let mut body = String::new();
        // (line, destination, resolves?) of every internal link.
        let mut expected = Vec::new();
        for b in &blocks {
            let line = body_line + body.matches('\n').count();
            match b {
                Block::Link(a, dest, c) => {
                    body.push_str(&format!("x{a}[link]({dest}){c}"));
                    let internal = dest.starts_with("@/") || dest.ends_with(".md") || dest.contains(".md#");
                    if internal && !dest.starts_with("https:") {
                        expected.push((line, dest.clone()));
                    }
                }
                Block::Words(w) => body.push_str(&format!("x{w}")),
                Block::Heading(h) => body.push_str(&format!("## {h}")),
            }
            body.push_str("\n\n");
        }
        let source = Source { body: &body, body_line, path: "content/posts/this.md", base_path: "/" };
        let mut broken: Vec<(usize, String)> = match render(source, &resolve, highlighter()) {
            Ok(doc) => {
                let found: Vec<usize> = doc.links.iter().map(|l| l.line).collect();
                let want: Vec<usize> = expected.iter().map(|(l, _)| *l).collect();
                prop_assert_eq!(found, want, "body: {:?}", body);
                Vec::new()
            }
            Err(errors) => errors
                .into_iter()
                .map(|(line, p)| match p {
                    Problem::BrokenLink(dest) => (line, dest),
                    other => panic!("unexpected problem {other:?}"),
                })
                .collect(),
        };
        if !broken.is_empty() {
            // Every broken link is reported on its line, and only broken ones.
            let mut want: Vec<(usize, String)> = expected
                .iter()
                .filter(|(_, d)| {
                    !matches!(
                        d.as_str(),
                        "@/posts/a.md" | "@/posts/b.md#intro" | "@/about.md" | "@/posts/./a.md#"
                            | "b.md" | "../about.md#x"
                    )
                })
                .cloned()
                .collect();
            want.sort();
            broken.sort();
            prop_assert_eq!(broken, want, "body: {:?}", body);
        }
    }

    #[test]
    fn fuzz_manifest_decode_never_panics_on_arbitrary_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        gzip_magic in any::<bool>(),
    ) {
        let mut bytes = bytes;
        if gzip_magic {
            bytes.splice(0..0, [0x1f, 0x8b, 8, 0]);
        }
        let _ = Manifest::decode(&bytes);
    }

    #[test]
    fn fuzz_manifest_round_trips_and_survives_mutation(
        manifest in manifest(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let encoded = manifest.encode();
        prop_assert_eq!(Manifest::decode(&encoded).unwrap(), manifest.clone());
        let json = serde_json::to_vec(&manifest).unwrap();
        prop_assert_eq!(Manifest::decode(&json).unwrap(), manifest.clone());
        // Bit flips and truncations of a valid encoding (gzip and plain) never panic.
        for base in [&encoded, &json] {
            let mut mutated = base.clone();
            for (i, x) in &flips {
                let i = i.index(mutated.len());
                mutated[i] ^= x;
            }
            let _ = Manifest::decode(&mutated);
            let _ = Manifest::decode(&base[..cut.index(base.len() + 1)]);
        }
    }
}

/// Arbitrary manifests, keys and header values included.
fn manifest() -> impl Strategy<Value = Manifest> {
    let entry = (
        "[0-9a-f]{64}|unknown",
        any::<u64>(),
        "\\PC{0,20}",
        prop::option::of("gzip|br|\\PC{0,5}"),
        prop::option::of("\\PC{0,20}"),
        prop::option::of("\\PC{0,20}"),
    )
        .prop_map(
            |(hash, size, content_type, content_encoding, cache_control, redirect)| Entry {
                hash,
                size,
                content_type,
                content_encoding,
                cache_control,
                redirect,
            },
        );
    prop::collection::btree_map("\\PC{1,30}", entry, 0..20).prop_map(|entries| Manifest {
        entries,
        ..Manifest::new()
    })
}
