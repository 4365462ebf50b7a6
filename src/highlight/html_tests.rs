//! Tests of the highlighted HTML: classes per language, escaping, balanced spans.

use proptest::prelude::*;

use super::tokens::CLASSES;
use super::tree_sitter_backend::{GRAMMARS, Grammar};
use super::*;

/// One fence word for each language the token backends (lexical and tree-sitter) highlight.
const TOKEN_LANGS: &[&str] = &[
    "rust",
    "python",
    "javascript",
    "typescript",
    "bash",
    "toml",
    "json",
    "css",
    "html",
    "yaml",
    "dockerfile",
    "markdown",
    "go",
    "c",
];

/// One piece of a highlighted block: the class of the span it is in (None: outside spans)
/// and its text, unescaped.
#[derive(Debug)]
struct Piece {
    class: Option<String>,
    text: String,
}

fn unescape(text: &str) -> String {
    assert!(
        !text.contains(['<', '>', '"']),
        "unescaped markup in text {text:?}"
    );
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Splits the inside of `<code>` into pieces, checking that every span is closed, that spans
/// do not nest (token backends' output) and that text outside tags is escaped.
fn pieces(inner: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut class: Option<String> = None;
    let mut rest = inner;
    while !rest.is_empty() {
        let next = rest.find('<').unwrap_or(rest.len());
        if next > 0 {
            out.push(Piece {
                class: class.clone(),
                text: unescape(&rest[..next]),
            });
            rest = &rest[next..];
            continue;
        }
        if let Some(tail) = rest.strip_prefix("</span>") {
            assert!(class.take().is_some(), "</span> without a span: {inner}");
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix("<span class=\"") {
            assert!(class.is_none(), "nested span: {inner}");
            let end = tail.find("\">").expect("a span's tag is closed");
            class = Some(tail[..end].to_string());
            rest = &tail[end + 2..];
        } else {
            panic!("unexpected markup {rest:?}");
        }
    }
    assert!(class.is_none(), "span left open: {inner}");
    out
}

/// The inside of `<code>` of a block that must have been highlighted by a token backend.
fn token_inner(html: &str, lang: &str) -> String {
    let open = format!("<pre class=\"code hl-code\" data-lang=\"{lang}\"><code>");
    let inner = html
        .strip_prefix(&open)
        .and_then(|h| h.strip_suffix("</code></pre>\n"))
        .unwrap_or_else(|| panic!("not a highlighted {lang} block: {html}"));
    inner.to_string()
}

/// Highlights `code` as `lang` and checks everything that holds for any input: the wrapper,
/// balanced and unnested spans, only known classes, adjacent pieces of one class merged, and
/// the text coming back unchanged. Returns the pieces.
fn check(lang: &str, code: &str) -> Vec<Piece> {
    let html = render_block(lang, code);
    let pieces = pieces(&token_inner(&html, lang));
    let text: String = pieces.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(text, code, "the code comes back whole");
    for pair in pieces.windows(2) {
        if let (Some(a), Some(b)) = (&pair[0].class, &pair[1].class) {
            assert_ne!(a, b, "adjacent spans of one class are merged: {html}");
        }
    }
    for piece in &pieces {
        if let Some(class) = &piece.class {
            assert!(
                CLASSES.iter().any(|c| c.class == class),
                "unknown class {class}"
            );
        }
    }
    pieces
}

/// The class of the piece that is `needle`, or else the first that contains it.
fn class_of<'a>(pieces: &'a [Piece], needle: &str) -> Option<&'a str> {
    pieces
        .iter()
        .find(|p| p.text == needle)
        .or_else(|| pieces.iter().find(|p| p.text.contains(needle)))
        .unwrap_or_else(|| panic!("{needle:?} is not one piece of {pieces:?}"))
        .class
        .as_deref()
}

/// A language, some code, and (token, class) pairs it must show.
type Case = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

#[test]
fn each_language_gets_its_classes() {
    #[rustfmt::skip]
    let cases: &[Case] = &[
        ("rust", "// note\nfn main() { let s = \"hi\"; x(1); }\n",
            &[("// note", "hl-cm"), ("fn", "hl-k"), ("\"hi\"", "hl-s"), ("main", "hl-f"), ("1", "hl-n")]),
        ("python", "# note\ndef f(x):\n    return 'hi' if True else 2\n",
            &[("# note", "hl-cm"), ("def", "hl-k"), ("'hi'", "hl-s"), ("f", "hl-f"), ("True", "hl-b")]),
        ("javascript", "// note\nconst s = \"hi\";\nfunction f() { return 1; }\n",
            &[("// note", "hl-cm"), ("const", "hl-k"), ("\"hi\"", "hl-s"), ("f", "hl-f"), ("1", "hl-n")]),
        ("typescript", "// note\nlet x: number = 1;\ninterface A { b: string }\n",
            &[("// note", "hl-cm"), ("let", "hl-k"), ("number", "hl-t"), ("1", "hl-n")]),
        ("bash", "# note\nif true; then echo \"hi\" $HOME; fi\n",
            &[("# note", "hl-cm"), ("if", "hl-k"), ("\"hi\"", "hl-s"), ("echo", "hl-f"), ("$HOME", "hl-v")]),
        ("toml", "# note\n[package]\nname = \"x\"\nn = 1\n",
            &[("# note", "hl-cm"), ("[package]", "hl-g"), ("name", "hl-p"), ("\"x\"", "hl-s"), ("1", "hl-n")]),
        ("json", "{\"a\": 1, \"b\": true, \"c\": \"s\"}\n",
            &[("\"a\"", "hl-p"), ("1", "hl-n"), ("true", "hl-b"), ("\"s\"", "hl-s")]),
        ("css", "/* note */\na.b { color: red; width: 10px; }\n",
            &[("/* note */", "hl-cm"), ("color", "hl-p"), ("10px", "hl-n")]),
        ("html", "<!-- note -->\n<p class=\"x\">hi</p>\n",
            &[("<!-- note -->", "hl-cm"), ("p", "hl-g"), ("class", "hl-ta"), ("\"x\"", "hl-s")]),
        ("yaml", "# note\nkey: \"v\"\nn: 1\n",
            &[("# note", "hl-cm"), ("key", "hl-p"), ("\"v\"", "hl-s"), ("1", "hl-n")]),
        ("dockerfile", "# note\nFROM debian:12\nRUN echo \"hi\"\n",
            &[("# note", "hl-cm"), ("FROM", "hl-k"), ("RUN", "hl-k")]),
        ("markdown", "# Title\nSome `code` and **bold**.\n",
            &[("# Title", "hl-k")]),
        ("go", "// note\nfunc main() { s := \"hi\"; return }\n",
            &[("// note", "hl-cm"), ("func", "hl-k"), ("\"hi\"", "hl-s"), (":=", "hl-o")]),
        ("c", "/* note */\nint main(void) { return 0; }\n",
            &[("/* note */", "hl-cm"), ("int", "hl-t"), ("return", "hl-k"), ("0", "hl-n")]),
    ];
    let langs: Vec<&str> = cases.iter().map(|(lang, ..)| *lang).collect();
    assert_eq!(langs, TOKEN_LANGS, "a case for every language");
    for (lang, code, expected) in cases {
        let pieces = check(lang, code);
        for (needle, class) in *expected {
            assert_eq!(
                class_of(&pieces, needle),
                Some(*class),
                "{lang}: {needle:?} in {pieces:?}"
            );
        }
    }
}

#[test]
fn aliases_reach_their_lexer_or_grammar() {
    for (alias, lang) in [
        ("rs", "rust"),
        ("py", "python"),
        ("python3", "python"),
        ("js", "javascript"),
        ("jsx", "javascript"),
        ("mjs", "javascript"),
        ("node", "javascript"),
        ("ts", "typescript"),
        ("tsx", "typescript"),
        ("mts", "typescript"),
        ("sh", "bash"),
        ("shell", "bash"),
        ("zsh", "bash"),
        ("ksh", "bash"),
        ("yml", "yaml"),
        ("jsonc", "json"),
        ("htm", "html"),
        ("xhtml", "html"),
    ] {
        let found = lexical_backend::lang_for(alias);
        assert!(found.is_some(), "{alias}");
        assert_eq!(found, lexical_backend::lang_for(lang), "{alias}");
    }
    assert_eq!(Grammar::for_lang("golang"), Some(Grammar::Go));
    assert_eq!(Grammar::for_lang("h"), Some(Grammar::C));
    for grammar in GRAMMARS {
        let name = format!("{grammar:?}").to_ascii_lowercase();
        assert!(
            lexical_backend::lang_for(&name).is_none(),
            "{name} has a lexer: its grammar is dead weight"
        );
    }
    let h = Highlighter::new();
    let html = h.block("sh {.numberLines}", "echo hi # note\n");
    assert!(
        html.contains("data-lang=\"sh\"") && html.contains("<span class=\"hl-cm\"># note"),
        "{html}"
    );
}

#[test]
fn tokens_of_one_class_share_a_span() {
    let html = render_block("rust", "pub fn f() {}\n");
    assert!(
        html.contains("<span class=\"hl-k\">pub fn</span>"),
        "{html}"
    );
}

#[test]
fn code_is_escaped_everywhere() {
    let code = "if a < b && c > \"d\" { x = '&amp;'; } // <b>&\"\n";
    for lang in TOKEN_LANGS {
        check(lang, code);
    }
    let plain = render_block("nosuchlang", code);
    assert!(
        plain.contains("a &lt; b &amp;&amp; c &gt; &quot;d&quot;"),
        "{plain}"
    );
    let syntect = render_block("haskell", code);
    assert!(
        syntect.contains("&lt;") && !syntect.contains(" < b"),
        "{syntect}"
    );
}

#[test]
fn odd_input_keeps_spans_balanced() {
    let long_line = format!("let s = \"{}\n", "a<&\"'`\\".repeat(500));
    let inputs = [
        "",
        "\n",
        "\"unterminated string\n",
        "'unterminated\nfn x() {\n",
        "/* never closed\n",
        "`template ${ unclosed\n",
        "<!-- open\n<p attr=\"x\n",
        "\u{0}\u{1}\u{7f}\u{fffd}\u{1F600} é \r\n\r\n\t\u{b}\u{c}",
        "}}}]])))((([[[{{{",
        "\"\"\"\n'''\n",
        long_line.as_str(),
    ];
    for lang in TOKEN_LANGS {
        for input in inputs {
            check(lang, input);
        }
    }
}

#[test]
fn huge_lines_and_blocks_are_plain_for_tree_sitter_and_highlighted_by_the_lexer() {
    let line = format!("s := \"{}\n", "a<&\"'`\\".repeat(20_000));
    let block = "a := 10\n".repeat(40_000);
    for code in [&line, &block] {
        let html = render_block("go", code);
        let inner = html
            .strip_prefix("<pre class=\"code\" data-lang=\"go\"><code>")
            .and_then(|h| h.strip_suffix("</code></pre>\n"))
            .unwrap();
        assert_eq!(unescape(inner), *code);
    }
    // One pass over the bytes: no size is too big for the lexer.
    let line = format!("let s = \"{}\n", "a<&\"'`\\".repeat(20_000));
    let block = "let a = 1;\n".repeat(30_000);
    for code in [&line, &block] {
        let pieces = check("rust", code);
        assert_eq!(class_of(&pieces, "let"), Some("hl-k"));
    }
}

#[test]
fn syntect_languages_still_highlight() {
    let h = Highlighter::new();
    for (lang, code) in [
        ("haskell", "main = putStrLn \"hi\" -- note\n"),
        ("sql", "SELECT a FROM t WHERE b = 'x';\n"),
    ] {
        let html = h.block(lang, code);
        assert!(
            html.starts_with(&format!(
                "<pre class=\"code hl-code\" data-lang=\"{lang}\"><code>"
            )),
            "{html}"
        );
        assert!(html.contains("<span class=\"hl-source"), "{html}");
        let opens = html.matches("<span").count();
        assert!(opens > 1);
        assert_eq!(opens, html.matches("</span>").count());
    }
}

fn fragments() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(vec![
            "\"", "'", "`", "/*", "*/", "//", "#", "<", ">", "&", "\n", " ", "\\", "${", "}", "{",
            "(", ")", "[", "]", "fn ", "let ", "def ", "<p a=\"", "-->", "<!--", ":", "=", "1.5e3",
            "0x", "true", "\r\n", "\t",
        ])
        .prop_map(String::from),
        any::<char>().prop_map(String::from),
        "[a-z]{1,8}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn any_input_keeps_spans_balanced(lang in prop::sample::select(TOKEN_LANGS.to_vec()), code in fragments()) {
        check(lang, &code);
    }
}

#[test]
fn shards_hold_the_blocks_used_and_load_back_into_another_highlighter() {
    let h = Highlighter::new();
    let go = h.block("go", "func a() {}");
    h.block("c", "int x = 1;");
    h.block("rust", "fn lexed_not_cached() {}");
    let shards = h.encode_shards(64);
    assert!((1..=2).contains(&shards.len()), "{}", shards.len());
    assert_eq!(
        shards,
        h.encode_shards(64),
        "the same blocks give the same bytes"
    );

    let other = Highlighter::new();
    let loaded: usize = shards
        .iter()
        .map(|(_, s)| other.load_bytes(s).unwrap())
        .sum();
    assert_eq!(loaded, 2, "the lexed block is not cached");
    assert_eq!(other.cached_blocks(), 2);
    assert_eq!(other.block("go", "func a() {}"), go);
    assert_eq!(other.load_bytes(b"not a cache file"), None);
    assert_eq!(other.cached_blocks(), 2);
}
