//! A deterministic blog corpus for tests and benchmarks: `posts` Markdown posts with YAML or
//! TOML front matter, a stylesheet and small PNG figures. The same seed and count always give
//! the same bytes, on every machine (the generator is a SplitMix64 stream, fixed here, not a
//! library's RNG whose output may change between versions).
//!
//! Layout under the output folder:
//! - `content/posts/post-NNNNN.md`: title, date (six hours apart from 2015-01-01, closer
//!   in a corpus of over 16,068 posts so that all are in the past), 1–4 tags of
//!   50, a description, about 1% drafts; bodies of paragraphs, lists, tables, quotes, images,
//!   headings and fenced code in five languages (log-normal length, ~3% long posts);
//! - `static/css/site.css` and `static/img/figure-K.png` (8 figures the posts link to);
//! - `static/media/big.bin` (20 MB of incompressible bytes) with `big`.
//!
//! The tests call [`generate`]; `examples/gen_corpus.rs` is the command-line front for the
//! benchmarks (`cargo run --release --example gen_corpus -- --posts 10000 --out DIR`).

use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// The front-matter syntax of the generated posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Front {
    /// `---` YAML front matter.
    Yaml,
    /// `+++` TOML front matter.
    Toml,
}

impl Front {
    /// Parses `yaml` or `toml`.
    pub fn parse(name: &str) -> Option<Front> {
        match name {
            "yaml" => Some(Front::Yaml),
            "toml" => Some(Front::Toml),
            _ => None,
        }
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// How many posts.
    pub posts: usize,
    /// The seed: the same seed and count give the same corpus.
    pub seed: u64,
    /// Front-matter syntax.
    pub front: Front,
    /// Also write a 20 MB incompressible `static/media/big.bin`.
    pub big: bool,
}

impl Spec {
    /// `posts` posts with the default seed (1), YAML front matter, no big file.
    pub fn new(posts: usize) -> Spec {
        Spec {
            posts,
            seed: 1,
            front: Front::Yaml,
            big: false,
        }
    }
}

const WORDS: &[&str] = &[
    "storage",
    "bucket",
    "object",
    "latency",
    "cache",
    "render",
    "page",
    "post",
    "template",
    "build",
    "deploy",
    "upload",
    "manifest",
    "diff",
    "hash",
    "network",
    "request",
    "region",
    "edge",
    "origin",
    "static",
    "site",
    "markdown",
    "feed",
    "index",
    "tag",
    "archive",
    "draft",
    "preview",
    "server",
    "watch",
    "reload",
    "browser",
    "the",
    "a",
    "of",
    "to",
    "in",
    "and",
    "is",
    "that",
    "for",
    "it",
    "as",
    "with",
    "on",
    "be",
    "by",
    "this",
    "are",
    "from",
    "at",
    "or",
    "an",
    "which",
    "was",
    "but",
    "not",
    "have",
    "has",
    "can",
    "will",
    "all",
    "their",
    "more",
    "one",
    "about",
    "would",
    "there",
    "backup",
    "encrypt",
    "key",
    "torrent",
    "peer",
    "bandwidth",
    "spike",
    "scale",
    "cheap",
    "reliable",
    "fast",
];

/// Code line shapes per language: `{a}`/`{b}` identifiers, `{A}` an upper-case identifier,
/// `{n}` a number, `{w}` a word.
const CODE: &[(&str, &[&str])] = &[
    (
        "rust",
        &[
            "let {a} = {b}.iter().map(|x| x * {n}).collect::<Vec<_>>();",
            "fn {a}({b}: &str) -> usize { {b}.len() + {n} }",
            "if {a} > {n} { return Err(Error::{A}); }",
            "for {a} in 0..{n} { {b}.push({a}); }",
            "// {w} {w} {w}",
            "let {a}: HashMap<String, u64> = HashMap::with_capacity({n});",
            "match {a} { Some(v) => v, None => {n} };",
        ],
    ),
    (
        "python",
        &[
            "def {a}({b}):",
            "    return [{b} * {n} for {b} in range({n})]",
            "{a} = {'{w}': {n}, '{w}': {b}}",
            "if {a} is None:",
            "    raise ValueError('{w} {w}')",
            "# {w} {w} {w}",
            "for {a} in {b}: print({a}, {n})",
        ],
    ),
    (
        "js",
        &[
            "const {a} = {b}.filter((x) => x > {n});",
            "function {a}({b}) { return {b} + {n}; }",
            "// {w} {w}",
            "let {a} = await fetch('/{w}/{n}');",
            "export default { {a}, {b} };",
            "if ({a} === {n}) { {b}(); }",
        ],
    ),
    (
        "bash",
        &[
            "for {a} in $(seq {n}); do echo \"${a}\"; done",
            "{A}={n} ./{w}.sh --{w}",
            "# {w} {w} {w}",
            "if [ -f \"{w}.md\" ]; then cat {w}.md | wc -l; fi",
            "export {A}=\"{w}-{n}\"",
        ],
    ),
    (
        "toml",
        &[
            "[{w}]",
            "{a} = {n}",
            "{a} = \"{w}\"",
            "# {w} {w}",
            "{a} = [{n}, {n}, {n}]",
            "[{w}.{b}]",
        ],
    ),
];

const IDENTS: &[&str] = &[
    "alpha", "beta", "count", "items", "total", "buffer", "key", "value", "node", "cache", "path",
    "post", "page",
];

/// How many figures `static/img/` holds.
const IMAGES: usize = 8;

/// A SplitMix64 stream: small, fast, and fixed forever, so corpora are reproducible.
struct Rng(u64);

impl Rng {
    /// A stream for one purpose (`what`) of one post (`i`) of one seed.
    fn new(seed: u64, i: u64, what: u64) -> Rng {
        let mut rng = Rng(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (what << 56));
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An integer in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() - 1)]
    }

    /// `k` distinct indices of `0..n`, in drawing order.
    fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut picked: Vec<usize> = Vec::with_capacity(k);
        while picked.len() < k.min(n) {
            let j = self.range(0, n - 1);
            if !picked.contains(&j) {
                picked.push(j);
            }
        }
        picked
    }

    /// A log-normal variate (Box–Muller).
    fn lognormal(&mut self, mu: f64, sigma: f64) -> f64 {
        let u1 = self.unit().max(f64::MIN_POSITIVE);
        let u2 = self.unit();
        let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        (mu + sigma * normal).exp()
    }

    fn words(&mut self, n: usize) -> String {
        let mut out = String::new();
        for k in 0..n {
            if k > 0 {
                out.push(' ');
            }
            let word: &&str = self.pick(WORDS);
            out.push_str(word);
        }
        out
    }
}

/// The file name stem of post `i`.
pub fn slug(i: usize) -> String {
    format!("post-{i:05}")
}

fn title_case(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn code(rng: &mut Rng, lines: &[&str]) -> String {
    let mut out = Vec::new();
    for _ in 0..rng.range(3, 24) {
        let shape = *rng.pick(lines);
        let a = format!("{}{}", rng.pick(IDENTS), rng.range(0, 99));
        let b = *rng.pick(IDENTS);
        let mut line = String::new();
        let mut rest = shape;
        while let Some(open) = rest.find('{') {
            line.push_str(&rest[..open]);
            let hole = &rest[open..];
            let (text, len) = if hole.starts_with("{a}") {
                (a.clone(), 3)
            } else if hole.starts_with("{b}") {
                (b.to_string(), 3)
            } else if hole.starts_with("{A}") {
                (a.to_uppercase(), 3)
            } else if hole.starts_with("{n}") {
                (rng.range(0, 4096).to_string(), 3)
            } else if hole.starts_with("{w}") {
                (rng.pick(WORDS).to_string(), 3)
            } else {
                ("{".to_string(), 1)
            };
            line.push_str(&text);
            rest = &rest[open + len..];
        }
        line.push_str(rest);
        out.push(line);
    }
    out.join("\n")
}

fn sentence_case(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn paragraph(rng: &mut Rng, links: &[String]) -> String {
    let mut parts = Vec::new();
    for _ in 0..rng.range(3, 7) {
        let n = rng.range(8, 20);
        let mut s = rng.words(n);
        let r = rng.unit();
        if r < 0.15 {
            let _ = write!(s, " *{}*", rng.words(2));
        } else if r < 0.25 {
            let _ = write!(s, " **{}**", rng.words(2));
        } else if r < 0.35 {
            let _ = write!(s, " `{}_{}()`", rng.pick(WORDS), rng.range(0, 99));
        } else if r < 0.42 {
            let _ = write!(s, " [see {}](/posts/{}/)", rng.pick(WORDS), rng.pick(links));
        } else if r < 0.46 {
            let _ = write!(s, " [docs](https://example.org/{})", rng.pick(WORDS));
        }
        parts.push(format!("{}.", sentence_case(&s)));
    }
    parts.join(" ")
}

fn heading(rng: &mut Rng) -> String {
    let level = if rng.unit() < 0.5 { "##" } else { "###" };
    let n = rng.range(2, 5);
    format!("{level} {}", title_case(&rng.words(n)))
}

fn block(rng: &mut Rng, links: &[String]) -> String {
    let r = rng.unit();
    if r < 0.45 {
        paragraph(rng, links)
    } else if r < 0.58 {
        (0..rng.range(2, 6))
            .map(|_| {
                let n = rng.range(3, 9);
                format!("- {}", rng.words(n))
            })
            .collect::<Vec<_>>()
            .join("\n")
    } else if r < 0.66 {
        (0..rng.range(2, 5))
            .map(|i| {
                let n = rng.range(3, 9);
                format!("{}. {}", i + 1, rng.words(n))
            })
            .collect::<Vec<_>>()
            .join("\n")
    } else if r < 0.80 {
        let (lang, lines) = *rng.pick(CODE);
        format!("```{lang}\n{}\n```", code(rng, lines))
    } else if r < 0.86 {
        let mut rows = vec![
            "| name | value | note |".to_string(),
            "|---|---:|---|".to_string(),
        ];
        for _ in 0..rng.range(2, 6) {
            let w = rng.pick(WORDS);
            let v = rng.range(0, 9999);
            rows.push(format!("| {w} | {v} | {} |", rng.words(3)));
        }
        rows.join("\n")
    } else if r < 0.92 {
        let n = rng.range(10, 30);
        format!("> {}.", rng.words(n))
    } else if r < 0.96 {
        let alt = rng.words(2);
        format!("![{alt}](/img/figure-{}.png)", rng.range(0, IMAGES - 1))
    } else {
        heading(rng)
    }
}

fn body(rng: &mut Rng, links: &[String], target_words: usize) -> String {
    let mut out = Vec::new();
    let mut count = 0;
    while count < target_words {
        if rng.unit() < 0.12 {
            out.push(heading(rng));
        }
        let b = block(rng, links);
        count += b.split_whitespace().count();
        out.push(b);
    }
    out.join("\n\n") + "\n"
}

/// Minutes between two posts' dates: six hours, or less for a corpus so big that six hours
/// apart would date its last posts after 2025 (over 16,068 posts): every post of a
/// 100,000-post corpus is in the past, so all of it builds and publishes.
fn minutes_apart(posts: usize) -> i64 {
    // 2015-01-01 09:00 to 2025-12-31 09:00.
    const SPAN_MINUTES: i64 = 4_017 * 24 * 60;
    (SPAN_MINUTES / posts.max(1) as i64).clamp(1, 6 * 60)
}

/// True when post `i` of `spec` is a draft: its front matter's draws replayed.
fn is_draft(spec: &Spec, i: usize) -> bool {
    let mut meta = Rng::new(spec.seed, i as u64, 1);
    meta.sample(spec.posts, spec.posts.min(20));
    let n = meta.range(3, 8);
    meta.words(n);
    let k = meta.range(1, 4);
    meta.sample(50, k);
    meta.words(12);
    meta.unit() < 0.01
}

/// The text of post `i` of `spec`, at revision `generation` (0 = as first written; a later
/// generation keeps the front matter and rewrites the body).
pub fn post(spec: &Spec, i: usize, generation: u64) -> String {
    let mut meta = Rng::new(spec.seed, i as u64, 1);
    let mut rng = Rng::new(
        spec.seed ^ generation.wrapping_mul(0xD6E8_FEB8_6659_FD93),
        i as u64,
        2,
    );
    // Drafts are not built: a published post never links to one (the link checker says so).
    let links: Vec<String> = meta
        .sample(spec.posts, spec.posts.min(20))
        .into_iter()
        .filter(|&j| j == i || !is_draft(spec, j))
        .map(slug)
        .collect();
    let n = meta.range(3, 8);
    let title = title_case(&meta.words(n));
    let date = chrono::NaiveDate::from_ymd_opt(2015, 1, 1)
        .expect("valid date")
        .and_hms_opt(9, 0, 0)
        .expect("valid time")
        + chrono::Duration::minutes(minutes_apart(spec.posts) * i as i64);
    let date = date.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let k = meta.range(1, 4);
    let mut tags: Vec<String> = meta
        .sample(50, k)
        .into_iter()
        .map(|t| format!("topic-{t:02}"))
        .collect();
    tags.sort();
    let desc = meta.words(12);
    let draft = meta.unit() < 0.01;
    let size = if meta.unit() < 0.03 {
        6000
    } else {
        meta.lognormal(7.05, 0.45) as usize
    };
    let mut text = front_matter(spec.front, &title, &date, &tags, &desc, draft);
    text.push_str(&body(&mut rng, &links, size));
    if generation > 0 {
        let _ = write!(text, "\nRevision {generation}: {}.\n", rng.words(12));
    }
    text
}

fn front_matter(
    front: Front,
    title: &str,
    date: &str,
    tags: &[String],
    desc: &str,
    draft: bool,
) -> String {
    let mut out = String::new();
    match front {
        Front::Toml => {
            let list: Vec<String> = tags.iter().map(|t| format!("\"{t}\"")).collect();
            let _ = write!(
                out,
                "+++\ntitle = \"{title}\"\ndate = {date}\ntags = [{}]\ndescription = \"{desc}\"\n",
                list.join(", ")
            );
            if draft {
                out.push_str("draft = true\n");
            }
            out.push_str("+++\n\n");
        }
        Front::Yaml => {
            let _ = write!(
                out,
                "---\ntitle: \"{title}\"\ndate: {date}\ntags: [{}]\ndescription: \"{desc}\"\n",
                tags.join(", ")
            );
            if draft {
                out.push_str("draft: true\n");
            }
            out.push_str("---\n\n");
        }
    }
    out
}

/// A valid RGB PNG of one colour.
fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    use flate2::{Compression, write::ZlibEncoder};
    use std::io::Write as _;
    // Each row: filter type 0, then the pixels.
    let row: Vec<u8> = std::iter::once(0)
        .chain(rgb.repeat(width as usize))
        .collect();
    let raw = row.repeat(height as usize);
    let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
    z.write_all(&raw).expect("zlib to memory");
    let idat = z.finish().expect("zlib to memory");
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (&b"IHDR"[..], &ihdr[..]),
        (b"IDAT", &idat[..]),
        (b"IEND", &[]),
    ] {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    out
}

fn write(path: &Path, data: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, data)
}

/// Writes the corpus of `spec` under `out`.
pub fn generate(spec: &Spec, out: &Path) -> io::Result<()> {
    let posts = out.join("content/posts");
    for i in 0..spec.posts {
        write(
            &posts.join(format!("{}.md", slug(i))),
            post(spec, i, 0).as_bytes(),
        )?;
    }
    write(
        &out.join("static/css/site.css"),
        b"body{font:16px/1.6 system-ui;max-width:42rem;margin:2rem auto;padding:0 1rem}\n\
          pre{overflow:auto;background:#f6f8fa;padding:1rem}\ntable{border-collapse:collapse}\n",
    )?;
    for k in 0..IMAGES {
        let red = (40 * k % 256) as u8;
        write(
            &out.join(format!("static/img/figure-{k}.png")),
            &png(64, 48, [red, 90, 160]),
        )?;
    }
    if spec.big {
        let mut rng = Rng::new(spec.seed, 0, 3);
        let bytes: Vec<u8> = (0..20 * 1024 * 1024 / 8)
            .flat_map(|_| rng.next().to_le_bytes())
            .collect();
        write(&out.join("static/media/big.bin"), &bytes)?;
    }
    Ok(())
}

/// Rewrites the body of `count` existing posts of `spec` under `out` as revision
/// `generation`; returns the slugs it changed. The same arguments pick the same posts.
pub fn mutate(spec: &Spec, out: &Path, count: usize, generation: u64) -> io::Result<Vec<String>> {
    let mut rng = Rng::new(spec.seed, generation, 4);
    let picks = rng.sample(spec.posts, count);
    let posts = out.join("content/posts");
    for &i in &picks {
        write(
            &posts.join(format!("{}.md", slug(i))),
            post(spec, i, generation).as_bytes(),
        )?;
    }
    Ok(picks.into_iter().map(slug).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_spec_gives_the_same_bytes_and_another_seed_does_not() {
        let spec = Spec::new(30);
        let a: Vec<String> = (0..30).map(|i| post(&spec, i, 0)).collect();
        let b: Vec<String> = (0..30).map(|i| post(&spec, i, 0)).collect();
        assert_eq!(a, b);
        let other = Spec {
            seed: 2,
            ..Spec::new(30)
        };
        assert_ne!(a[0], post(&other, 0, 0));
    }

    #[test]
    fn a_mutation_keeps_the_front_matter_and_changes_the_body() {
        let spec = Spec::new(10);
        let before = post(&spec, 3, 0);
        let after = post(&spec, 3, 1);
        let front = |t: &str| t.split("---\n\n").next().unwrap().to_string();
        assert_eq!(front(&before), front(&after));
        assert_ne!(before, after);
        assert!(after.contains("\nRevision 1: "));
    }

    #[test]
    fn figures_are_valid_pngs_and_posts_have_code_and_drafts() {
        let dir = tempfile::tempdir().unwrap();
        let spec = Spec::new(300);
        generate(&spec, dir.path()).unwrap();
        let png = std::fs::read(dir.path().join("static/img/figure-1.png")).unwrap();
        let decoder = png_size(&png);
        assert_eq!(decoder, (64, 48));
        let texts: Vec<String> = (0..300).map(|i| post(&spec, i, 0)).collect();
        let drafts = texts
            .iter()
            .filter(|t| t.contains("\ndraft: true\n"))
            .count();
        assert!((1..=12).contains(&drafts), "{drafts} drafts in 300 posts");
        assert!(texts.iter().filter(|t| t.contains("```rust\n")).count() > 30);
        let changed = mutate(&spec, dir.path(), 2, 1).unwrap();
        assert_eq!(changed.len(), 2);
        let edited =
            std::fs::read_to_string(dir.path().join(format!("content/posts/{}.md", changed[0])))
                .unwrap();
        assert!(edited.contains("\nRevision 1: "));
    }

    /// Width and height from a PNG's IHDR, after checking the signature and the IHDR's CRC.
    fn png_size(png: &[u8]) -> (u32, u32) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let mut crc = flate2::Crc::new();
        crc.update(&png[12..29]);
        assert_eq!(crc.sum().to_be_bytes(), png[29..33]);
        let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
        (w, h)
    }
}
