//! Times code highlighters on the fenced code blocks of a bench corpus, one thread, so the
//! per-block cost of each candidate can be compared with what bucketpress does today.
//!
//!     cargo run --release --manifest-path bench/hl-compare/Cargo.toml -- bench/work/corpus [--limit N]
//!
//! Candidates:
//! - `syntect`       — exactly bucketpress's `highlight::render_block` (ClassedHTMLGenerator,
//!                     `hl-` classes, onig regexes, default newline syntaxes);
//! - `syntect-parse` — syntect's ParseState only (no HTML), to split parse from HTML;
//! - `giallo`        — giallo 0.5 (VS Code grammars, Zola 0.22's choice), CSS classes, two themes;
//! - `tree-sitter`   — tree-sitter-highlight 0.25 with the grammars' own highlight queries;
//! - `hl-lite`       — hl-lite 0.11's hand-written lexers (bucketpress's path for these
//!                     languages since 2026-12-01), one `<span class>` per span, escaped;
//! - `blake3`        — hashing each block (the cache key), for scale.
//!
//! syntect's default syntaxes have no TOML: bucketpress leaves TOML blocks unhighlighted today,
//! while giallo and tree-sitter do highlight them; compare the "w/o toml" column.

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

struct Block {
    lang: String,
    code: String,
}

fn collect_blocks(dir: &Path, out: &mut Vec<Block>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read corpus dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_blocks(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            let text = std::fs::read_to_string(&path).expect("read post");
            let mut current: Option<Block> = None;
            for line in text.lines() {
                match current.as_mut() {
                    None => {
                        if let Some(info) = line.strip_prefix("```") {
                            current = Some(Block {
                                lang: info.trim().to_ascii_lowercase(),
                                code: String::new(),
                            });
                        }
                    }
                    Some(b) => {
                        if line.starts_with("```") {
                            out.push(current.take().unwrap());
                        } else {
                            b.code.push_str(line);
                            b.code.push('\n');
                        }
                    }
                }
            }
        }
    }
}

// ----------------------------------------------------------------------------------- syntect

mod syn {
    use syntect::html::{ClassStyle, ClassedHTMLGenerator};
    use syntect::parsing::{ParseState, ScopeStack, SyntaxSet};
    use syntect::util::LinesWithEndings;

    const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

    pub fn set() -> SyntaxSet {
        SyntaxSet::load_defaults_newlines()
    }

    /// bucketpress's render_block, minus the fallbacks.
    pub fn html(set: &SyntaxSet, lang: &str, code: &str) -> usize {
        let Some(syntax) = set.find_syntax_by_token(lang) else {
            return code.len();
        };
        let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, set, CLASS_STYLE);
        for line in LinesWithEndings::from(code) {
            generator
                .parse_html_for_line_which_includes_newline(line)
                .unwrap();
        }
        generator.finalize().len()
    }

    pub fn parse_only(set: &SyntaxSet, lang: &str, code: &str) -> usize {
        let Some(syntax) = set.find_syntax_by_token(lang) else {
            return 0;
        };
        let mut state = ParseState::new(syntax);
        let mut stack = ScopeStack::new();
        let mut n = 0;
        for line in LinesWithEndings::from(code) {
            let ops = state.parse_line(line, set).unwrap();
            for (_, op) in &ops {
                stack.apply(op).unwrap();
            }
            n += ops.len();
        }
        n
    }
}

// ----------------------------------------------------------------------------------- giallo

mod gia {
    use giallo::{HighlightOptions, HtmlRenderer, Registry, RenderOptions, ThemeVariant};

    pub struct Giallo {
        registry: Registry,
        renderer: HtmlRenderer,
    }

    impl Giallo {
        pub fn new() -> Giallo {
            let mut registry = Registry::builtin().expect("giallo builtin registry");
            registry.link_grammars();
            Giallo {
                registry,
                renderer: HtmlRenderer {
                    css_class_prefix: Some("g-".into()),
                    ..Default::default()
                },
            }
        }

        pub fn html(&self, lang: &str, code: &str) -> usize {
            let lang = match lang {
                "js" => "javascript",
                "bash" => "shellscript",
                other => other,
            };
            let options = HighlightOptions::new(
                lang,
                ThemeVariant::Dual {
                    light: "github-light",
                    dark: "github-dark",
                },
            );
            match self.registry.highlight(code, &options) {
                Ok(h) => self.renderer.render(&h, &RenderOptions::default()).len(),
                Err(e) => panic!("giallo {lang}: {e}"),
            }
        }
    }
}

// ----------------------------------------------------------------------------------- tree-sitter

mod ts {
    use std::collections::HashMap;
    use tree_sitter_highlight::{HighlightConfiguration, Highlighter, HtmlRenderer};

    const NAMES: &[&str] = &[
        "attribute",
        "comment",
        "constant",
        "constant.builtin",
        "constructor",
        "embedded",
        "function",
        "function.builtin",
        "function.macro",
        "function.method",
        "keyword",
        "label",
        "module",
        "number",
        "operator",
        "property",
        "punctuation",
        "punctuation.bracket",
        "punctuation.delimiter",
        "punctuation.special",
        "string",
        "string.special",
        "tag",
        "type",
        "type.builtin",
        "variable",
        "variable.builtin",
        "variable.parameter",
    ];

    pub struct Ts {
        configs: HashMap<&'static str, HighlightConfiguration>,
        classes: Vec<String>,
    }

    impl Ts {
        pub fn new() -> Ts {
            let mut configs = HashMap::new();
            let mut add = |name: &'static str,
                           lang: tree_sitter_language::LanguageFn,
                           hl: &str,
                           inj: &str| {
                let mut c = HighlightConfiguration::new(lang.into(), name, hl, inj, "")
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                c.configure(NAMES);
                configs.insert(name, c);
            };
            add(
                "rust",
                tree_sitter_rust::LANGUAGE,
                tree_sitter_rust::HIGHLIGHTS_QUERY,
                tree_sitter_rust::INJECTIONS_QUERY,
            );
            add(
                "python",
                tree_sitter_python::LANGUAGE,
                tree_sitter_python::HIGHLIGHTS_QUERY,
                "",
            );
            add(
                "js",
                tree_sitter_javascript::LANGUAGE,
                tree_sitter_javascript::HIGHLIGHT_QUERY,
                "",
            );
            add(
                "bash",
                tree_sitter_bash::LANGUAGE,
                tree_sitter_bash::HIGHLIGHT_QUERY,
                "",
            );
            add(
                "toml",
                tree_sitter_toml_ng::LANGUAGE,
                tree_sitter_toml_ng::HIGHLIGHTS_QUERY,
                "",
            );
            let classes = NAMES
                .iter()
                .map(|n| format!("class=\"ts-{}\"", n.replace('.', " ts-")))
                .collect();
            Ts { configs, classes }
        }

        pub fn html(&self, hl: &mut Highlighter, lang: &str, code: &str) -> usize {
            let Some(config) = self.configs.get(lang) else {
                return code.len();
            };
            let events = hl
                .highlight(config, code.as_bytes(), None, |_| None)
                .unwrap();
            let mut renderer = HtmlRenderer::new();
            renderer
                .render(events, code.as_bytes(), &|h, out: &mut Vec<u8>| {
                    out.extend_from_slice(self.classes[h.0].as_bytes())
                })
                .unwrap();
            renderer.html.len()
        }
    }
}

// ----------------------------------------------------------------------------------- hl-lite

mod lite {
    /// One span per classified run, text escaped: about what bucketpress writes.
    pub fn html(lang: &str, code: &str) -> usize {
        let Some(lang) = hl_lite::Lang::from_slug(lang) else {
            return code.len();
        };
        let mut out = String::with_capacity(code.len() * 3);
        for span in hl_lite::highlight(lang, code) {
            if span.kind == hl_lite::Kind::Plain {
                escape(&mut out, span.text);
            } else {
                out.push_str("<span class=\"hl-");
                out.push_str(span.kind.class());
                out.push_str("\">");
                escape(&mut out, span.text);
                out.push_str("</span>");
            }
        }
        out.len()
    }

    fn escape(out: &mut String, text: &str) {
        for c in text.chars() {
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                '"' => out.push_str("&quot;"),
                c => out.push(c),
            }
        }
    }
}

#[derive(Default)]
struct Tally {
    per_lang: BTreeMap<String, (usize, Duration, usize)>,
}

impl Tally {
    fn add(&mut self, lang: &str, d: Duration, bytes: usize) {
        let e = self.per_lang.entry(lang.to_string()).or_default();
        e.0 += 1;
        e.1 += d;
        e.2 += bytes;
    }
    fn total(&self) -> Duration {
        self.per_lang.values().map(|v| v.1).sum()
    }
}

/// CPU time of this thread: other processes on a busy machine do not inflate it.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Runs `f` on every block (after a warm-up on the first `WARMUP` blocks, so lazily compiled
/// regexes and grammars are not charged to the blocks), timing each block in thread CPU time.
fn run(name: &str, blocks: &[Block], mut f: impl FnMut(&str, &str) -> usize) -> (Duration, Tally) {
    const WARMUP: usize = 300;
    let w0 = thread_cpu();
    for b in blocks.iter().take(WARMUP) {
        f(&b.lang, &b.code);
    }
    let warmup = thread_cpu() - w0;
    let mut t = Tally::default();
    let started = Instant::now();
    for b in blocks {
        let t0 = thread_cpu();
        let bytes = f(&b.lang, &b.code);
        t.add(&b.lang, thread_cpu() - t0, bytes);
    }
    eprintln!(
        "{name}: {:.2} s CPU ({:.2} s wall), warm-up of {WARMUP} blocks {:.2} s CPU",
        t.total().as_secs_f64(),
        started.elapsed().as_secs_f64(),
        warmup.as_secs_f64()
    );
    (warmup, t)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let corpus = args.next().unwrap_or_else(|| "bench/work/corpus".into());
    let mut limit = 5000usize;
    let mut only: Option<String> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--limit" => limit = args.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            "--only" => only = args.next(),
            _ => panic!("usage: hl-compare CORPUS [--limit N (0 = all)] [--only NAME]"),
        }
    }
    let mut all = Vec::new();
    collect_blocks(&Path::new(&corpus).join("content"), &mut all);
    let total_blocks = all.len();
    // An even sample keeps the language mix.
    let blocks: Vec<Block> = if limit > 0 && all.len() > limit {
        let step = all.len() as f64 / limit as f64;
        (0..limit)
            .map(|i| {
                let b = &all[(i as f64 * step) as usize];
                Block {
                    lang: b.lang.clone(),
                    code: b.code.clone(),
                }
            })
            .collect()
    } else {
        all
    };
    let lines: usize = blocks.iter().map(|b| b.code.lines().count()).sum();
    let bytes: usize = blocks.iter().map(|b| b.code.len()).sum();
    println!(
        "allocator: {}; corpus {corpus}: {total_blocks} fenced blocks; timing {} blocks, {lines} lines, {bytes} bytes, one thread, thread CPU time\n",
        if cfg!(feature = "mimalloc") { "mimalloc" } else { "system (glibc)" },
        blocks.len()
    );

    let want = |n: &str| only.as_deref().is_none_or(|o| o == n);
    let mut results: Vec<(&str, Duration, Tally)> = Vec::new();

    if want("syntect") || want("syntect-parse") {
        let t0 = Instant::now();
        let set = syn::set();
        let setup = t0.elapsed();
        if want("syntect") {
            let (w, t) = run("syntect", &blocks, |l, c| syn::html(&set, l, c));
            results.push(("syntect (today)", setup + w, t));
        }
        if want("syntect-parse") {
            let (w, t) = run("syntect-parse", &blocks, |l, c| syn::parse_only(&set, l, c));
            results.push(("syntect parse only", setup + w, t));
        }
    }
    if want("giallo") {
        let t0 = Instant::now();
        let g = gia::Giallo::new();
        let setup = t0.elapsed();
        let (w, t) = run("giallo", &blocks, |l, c| g.html(l, c));
        results.push(("giallo 0.5", setup + w, t));
    }
    if want("tree-sitter") {
        let t0 = Instant::now();
        let ts = ts::Ts::new();
        let mut hl = tree_sitter_highlight::Highlighter::new();
        let setup = t0.elapsed();
        let (w, t) = run("tree-sitter", &blocks, |l, c| ts.html(&mut hl, l, c));
        results.push(("tree-sitter-highlight", setup + w, t));
    }
    if want("hl-lite") {
        let (w, t) = run("hl-lite", &blocks, lite::html);
        results.push(("hl-lite 0.11", w, t));
    }
    if want("blake3") {
        let (_, t) = run("blake3", &blocks, |l, c| {
            let mut h = blake3::Hasher::new();
            h.update(l.as_bytes());
            h.update(&[0]);
            h.update(c.as_bytes());
            h.finalize().as_bytes()[0] as usize
        });
        results.push(("blake3 cache key", Duration::ZERO, t));
    }

    let base = results.first().map(|r| r.2.total()).unwrap_or_default();
    println!(
        "| highlighter | setup + warm-up ms | CPU s | µs/block | µs/line | vs first | CPU s w/o toml | HTML bytes | HTML / code |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, setup, t) in &results {
        let total = t.total();
        let out: usize = t.per_lang.values().map(|v| v.2).sum();
        println!(
            "| {name} | {:.0} | {:.2} | {:.1} | {:.2} | {:.2}x | {:.2} | {out} | {:.1} |",
            setup.as_secs_f64() * 1e3,
            total.as_secs_f64(),
            total.as_secs_f64() * 1e6 / blocks.len() as f64,
            total.as_secs_f64() * 1e6 / lines as f64,
            total.as_secs_f64() / base.as_secs_f64().max(1e-9),
            t.per_lang
                .iter()
                .filter(|(l, _)| *l != "toml")
                .map(|(_, v)| v.1.as_secs_f64())
                .sum::<f64>(),
            out as f64 / bytes as f64,
        );
    }
    println!("\nper language, CPU µs per block (blocks):\n");
    let langs: Vec<&String> = results
        .first()
        .map(|r| r.2.per_lang.keys().collect())
        .unwrap_or_default();
    print!("| highlighter |");
    for l in &langs {
        print!(" {l} |");
    }
    println!();
    print!("|---|");
    for _ in &langs {
        print!("---:|");
    }
    println!();
    for (name, _, t) in &results {
        print!("| {name} |");
        for l in &langs {
            match t.per_lang.get(*l) {
                Some((n, d, _)) => print!(" {:.0} ({n}) |", d.as_secs_f64() * 1e6 / *n as f64),
                None => print!(" - |"),
            }
        }
        println!();
    }
}
