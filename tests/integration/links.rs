//! The link checker (issue #19): every broken internal link, image and anchor of a site
//! reported at once at its Markdown file:line:col (or template), `[links]` settings, and
//! `check --external` against a local HTTP server on 127.0.0.1 that answers 200, 404, 405
//! to HEAD, and 429 with `Retry-After`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::support::{self, bin};

const POST_A: &str = "---\ntitle: A\ndate: 2024-01-01\n---\n\n![](missing.png)\n\nSee \
[x](/posts/nonexistent/) and [h](#missing-here).\n\n[y](@/posts/gone.md) [z](b.md#nowhere) \
[ok](b.md#real) [top](#top) [self](#intro)\n\n## Intro\n";
const POST_B: &str = "---\ntitle: B\ndate: 2024-01-02\n---\n## Real\n\n![b](/img/b.svg)\n";

fn stderr_lines(o: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .map(str::to_string)
        .collect()
}

fn broken_site(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let mut files = vec![
        ("content/posts/a.md", POST_A),
        ("content/posts/b.md", POST_B),
        (
            "static/img/b.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        ),
        (
            "templates/page.html",
            "{% extends \"base.html\" %}\n{% block content %}<a href=\"/nowhere/\">x</a>\
             {{ page.content | safe }}{% endblock %}\n",
        ),
        ("content/about.md", "---\ntitle: About\n---\nMe.\n"),
    ];
    files.extend_from_slice(extra);
    support::site(&files)
}

#[test]
fn every_broken_link_is_reported_at_once_at_its_line() {
    let site = broken_site(&[]);
    let o = bin(&["build", "--site", site.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr_lines(&o),
        [
            "error: content/posts/a.md:6:5: link to \"missing.png\": no page or file of the \
             site has this URL",
            "error: content/posts/a.md:8:9: link to \"/posts/nonexistent/\": no page or file \
             of the site has this URL",
            "error: content/posts/a.md:8:38: link to \"#missing-here\": it has no heading \
             with id \"missing-here\"",
            "error: content/posts/a.md:10: link to \"@/posts/gone.md\": no such post or page",
            "error: content/posts/a.md:10:30: link to \"/posts/b/#nowhere\": it has no \
             heading with id \"nowhere\"",
            "error: templates/page.html:2:29: link to \"/nowhere/\": no page or file of the \
             site has this URL (rendering content/about.md)",
            "error: 6 problems found; nothing was written",
        ]
    );
    assert!(!site.path().join("public").exists());
    // `check` says the same.
    let c = bin(&["check", "--site", site.path().to_str().unwrap()]);
    assert_eq!(c.status.code(), Some(1));
    assert_eq!(stderr_lines(&c), stderr_lines(&o));
}

#[test]
fn links_can_be_warnings_skipped_or_off() {
    let warn = broken_site(&[(
        "site.toml",
        "title = \"T\"\nbase_url = \"https://t.example/\"\n[links]\ninternal = \"warn\"\n\
         skip = [\"/nowhere/**\", \"missing.*\"]\n",
    )]);
    let o = bin(&["build", "--site", warn.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{:?}", stderr_lines(&o));
    let warnings: Vec<String> = stderr_lines(&o)
        .into_iter()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 4, "{warnings:#?}");
    assert!(
        warnings
            .iter()
            .all(|w| !w.contains("nowhere/") && !w.contains("missing.png"))
    );

    let off = broken_site(&[(
        "site.toml",
        "title = \"T\"\nbase_url = \"https://t.example/\"\n[links]\ninternal = \"off\"\n",
    )]);
    let o = bin(&["build", "--site", off.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{:?}", stderr_lines(&o));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("link to"));
}

#[test]
fn a_site_under_a_path_and_its_own_absolute_links_resolve() {
    let site = support::site(&[
        (
            "site.toml",
            "title = \"T\"\nbase_url = \"https://t.example/blog/\"\n",
        ),
        (
            "content/posts/a.md",
            "---\ntitle: A\ndate: 2024-01-01\n---\n[b](/posts/b/) [abs](https://t.example/blog/tags/) \
             [rel](../b/#real) [feed](/atom.xml)\n\n[bad](https://t.example/blog/posts/zzz/)\n",
        ),
        (
            "content/posts/b.md",
            "---\ntitle: B\ndate: 2024-01-02\n---\n## Real\n",
        ),
    ]);
    let o = bin(&["build", "--site", site.path().to_str().unwrap()]);
    assert_eq!(
        stderr_lines(&o)[..1],
        [
            "error: content/posts/a.md:7:7: link to \"https://t.example/blog/posts/zzz/\": no \
          page or file of the site has this URL"
        ]
    );
}

/// A local site with links to check: each path answers as its name says, and counts hits.
struct Remote {
    base: String,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    _runtime: tokio::runtime::Runtime,
}

impl Remote {
    fn start() -> Remote {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let h = hits.clone();
        let app = axum::Router::new().fallback(move |method: Method, uri: Uri| {
            let hits = h.clone();
            async move {
                let path = uri.path().to_string();
                let n = {
                    let mut hits = hits.lock().unwrap();
                    let n = hits.entry(path.clone()).or_insert(0);
                    *n += 1;
                    *n
                };
                let r: Response = match path.as_str() {
                    "/ok" => StatusCode::OK.into_response(),
                    "/gone" => StatusCode::NOT_FOUND.into_response(),
                    "/no-head" if method == Method::HEAD => {
                        StatusCode::METHOD_NOT_ALLOWED.into_response()
                    }
                    "/no-head" => StatusCode::OK.into_response(),
                    // Busy the first time: come back in a second.
                    "/busy" if n == 1 => {
                        (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")]).into_response()
                    }
                    "/busy" => StatusCode::OK.into_response(),
                    "/very-busy" => {
                        (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "3600")]).into_response()
                    }
                    _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                };
                r
            }
        });
        let listener =
            runtime.block_on(async { tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap() });
        let base = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Remote {
            base,
            hits,
            _runtime: runtime,
        }
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

#[test]
fn check_external_asks_politely_and_remembers_good_links() {
    let remote = Remote::start();
    let b = &remote.base;
    let post = format!(
        "---\ntitle: A\ndate: 2024-01-01\n---\n[ok]({b}/ok) [again]({b}/ok#part)\n\n\
         [gone]({b}/gone)\n\n[head]({b}/no-head) [busy]({b}/busy) [mail](mailto:x@y.z)\n\n\
         [very]({b}/very-busy)\n"
    );
    let site = support::site(&[("content/posts/a.md", &post)]);
    let dir = site.path().to_str().unwrap();
    let o = bin(&["check", "--external", "--site", dir]);
    assert_eq!(o.status.code(), Some(1), "{:?}", stderr_lines(&o));
    let errors: Vec<String> = stderr_lines(&o)
        .into_iter()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(
        errors,
        [
            format!("error: content/posts/a.md:7:8: link to {b}/gone: 404 Not Found"),
            format!(
                "error: content/posts/a.md:11:8: link to {b}/very-busy: 429 Too Many \
                 Requests (asked to wait 3600 s)"
            ),
            "error: 2 of 5 external links do not answer".to_string(),
        ]
    );
    // One request for a link on two places; HEAD then GET for a server refusing HEAD; the
    // busy server asked again after its Retry-After.
    assert_eq!(remote.hits("/ok"), 1);
    assert_eq!(remote.hits("/no-head"), 2);
    assert_eq!(remote.hits("/busy"), 2);
    assert_eq!(remote.hits("/gone"), 1);

    // A re-run asks only about the links not found good.
    let o = bin(&["check", "--external", "--site", dir]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(
            "checking 2 external links (3 found good in the last 7 days not asked again)"
        ),
        "{:?}",
        stderr_lines(&o)
    );
    assert_eq!(remote.hits("/ok"), 1);
    assert_eq!(remote.hits("/busy"), 2);
    assert_eq!(remote.hits("/gone"), 2);
}

/// The link warnings of a render, as printed.
fn link_warnings(rendered: &bucketpress::pipeline::Rendered) -> Vec<String> {
    let mut all: Vec<String> = rendered
        .warnings
        .iter()
        .map(|d| d.to_string())
        .filter(|w| w.contains("link to"))
        .collect();
    all.sort();
    all
}

#[test]
fn serve_rechecks_what_changed_and_reports_what_it_did_not_recheck() {
    use bucketpress::pipeline::{BuildOptions, Session};
    let site = support::site(&[
        (
            "site.toml",
            "title = \"T\"\nbase_url = \"https://t.example/\"\n[links]\ninternal = \"warn\"\n",
        ),
        (
            "content/posts/a.md",
            "---\ntitle: A\ndate: 2024-01-01\n---\nSee [b](/posts/b/#real) and [c](/posts/c/).\n",
        ),
        (
            "content/posts/b.md",
            "---\ntitle: B\ndate: 2024-01-02\n---\n## Real\n",
        ),
        (
            "content/posts/c.md",
            "---\ntitle: C\ndate: 2024-01-03\n---\nC.\n",
        ),
        ("content/about.md", "---\ntitle: About\n---\nMe.\n"),
    ]);
    let path = |rel: &str| site.path().join(rel);
    let opts = BuildOptions::default();
    let mut session = Session::new(site.path(), opts.clone());
    // After each edit, what the long-lived session reports is what a fresh render reports.
    let step = |what: &str, session: &mut Session| -> Vec<String> {
        let incremental = link_warnings(&session.render().unwrap());
        let fresh = link_warnings(&Session::new(site.path(), opts.clone()).render().unwrap());
        assert_eq!(incremental, fresh, "after {what}");
        incremental
    };
    assert!(step("the first render", &mut session).is_empty());
    std::fs::write(
        path("content/about.md"),
        "---\ntitle: About\n---\nMe, again.\n",
    )
    .unwrap();
    assert!(step("an unrelated edit", &mut session).is_empty());

    // b's heading renamed: a's page is not rendered again, its anchor link breaks.
    std::fs::write(
        path("content/posts/b.md"),
        "---\ntitle: B\ndate: 2024-01-02\n---\n## Other\n",
    )
    .unwrap();
    let broken = step("a heading renamed", &mut session);
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert!(broken[0].contains("#real"), "{broken:?}");
    // Another unrelated edit: a's link is still reported (remembered, not lost).
    std::fs::write(path("content/about.md"), "---\ntitle: About\n---\nMe.\n").unwrap();
    assert_eq!(step("an edit elsewhere", &mut session), broken);

    // The heading back, then c removed: the link to c breaks.
    std::fs::write(
        path("content/posts/b.md"),
        "---\ntitle: B\ndate: 2024-01-02\n---\n## Real\n",
    )
    .unwrap();
    assert!(step("the heading back", &mut session).is_empty());
    std::fs::remove_file(path("content/posts/c.md")).unwrap();
    let gone = step("a post removed", &mut session);
    assert_eq!(gone.len(), 1, "{gone:?}");
    assert!(gone[0].contains("/posts/c/"), "{gone:?}");
}
