//! Headless Chromium against `bucketpress serve`: a real page reloads itself after an edit,
//! swaps stylesheets in place, shows the error overlay and recovers. Screenshots go to
//! `<target>/screenshots/`. Needs Chromium, hence ignored by default; run with
//! `cargo test --test integration serve::browser -- --ignored`.

use std::path::PathBuf;

use super::cdp::{Browser, find_chromium};
use super::{POST, POST_URL, Preview, save_by_rename};

fn screenshots() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("screenshots")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium; run with --ignored"]
async fn browser_reloads_on_edit() {
    let chromium = find_chromium().expect("chromium on PATH or $BUCKETPRESS_CHROMIUM");
    let p = Preview::start().await;
    let mut b = Browser::launch(&chromium).await;
    let shots = screenshots();

    b.goto(&p.url("/")).await;
    b.wait_for("document.title.length > 0").await;
    b.screenshot(&shots.join("home.png")).await;

    b.goto(&p.url(POST_URL)).await;
    b.screenshot(&shots.join("post.png")).await;
    // Wait until the page's live-reload socket is open: the greeting made it connect.
    b.wait_for("window.__bucketpress_connected === true").await;
    let original = std::fs::read_to_string(p.path(POST)).unwrap();

    // An edit reloads the page (the marker variable is gone) with the new text.
    b.eval("window.__before_edit = true").await;
    let edited = original.replace("For seven years", "Browser-edit-marker. For seven years");
    std::fs::write(p.path(POST), &edited).unwrap();
    b.wait_for("document.body.innerText.includes('Browser-edit-marker')")
        .await;
    assert_eq!(b.eval("window.__before_edit === undefined").await, true);

    // A stylesheet change applies without a reload.
    b.eval("window.__before_css = true").await;
    std::fs::write(
        p.path("static/style.css"),
        "body { background: rgb(1, 2, 3); }\n",
    )
    .unwrap();
    b.wait_for("getComputedStyle(document.body).backgroundColor === 'rgb(1, 2, 3)'")
        .await;
    assert_eq!(b.eval("window.__before_css === true").await, true);
    std::fs::remove_file(p.path("static/style.css")).unwrap();
    b.wait_for("getComputedStyle(document.body).backgroundColor !== 'rgb(1, 2, 3)'")
        .await;

    // A broken save shows the overlay over the old page; fixing it reloads without it.
    save_by_rename(
        &p.path(POST),
        &edited.replace("date: 2024-02-11", "date: someday"),
    );
    b.wait_for("!!document.getElementById('__bucketpress_overlay')")
        .await;
    assert_eq!(
        b.eval("document.body.innerText.includes('Browser-edit-marker')")
            .await,
        true
    );
    b.screenshot(&shots.join("post-error-overlay.png")).await;
    save_by_rename(&p.path(POST), &original);
    b.wait_for(
        "!document.getElementById('__bucketpress_overlay') && \
         !document.body.innerText.includes('Browser-edit-marker')",
    )
    .await;
    b.close().await;
    p.server.shutdown().await.unwrap();
}

/// The example site's private post, its demo passphrase, and a sentence of its body.
const PRIVATE_URL: &str = "/posts/family-recipes/";
const DEMO_PASSPHRASE: &str = "correct horse battery staple";
const PRIVATE_TEXT: &str = "Grandmother never weighed anything";

/// Types `passphrase` into the unlock form and submits it.
async fn unlock_with(b: &mut Browser, passphrase: &str) {
    let js = format!(
        "document.getElementById('bp-passphrase').value = {}; \
         document.querySelector('[data-bp-form]').requestSubmit(); true",
        serde_json::to_string(passphrase).unwrap()
    );
    assert_eq!(b.eval(&js).await, true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium; run with --ignored"]
async fn browser_unlocks_a_private_post_with_webcrypto() {
    let chromium = find_chromium().expect("chromium on PATH or $BUCKETPRESS_CHROMIUM");
    let p = Preview::start().await;
    let mut b = Browser::launch(&chromium).await;
    let shots = screenshots();
    let visible = format!("document.body.innerText.includes({PRIVATE_TEXT:?})");

    b.goto(&p.url(PRIVATE_URL)).await;
    b.wait_for("!!document.querySelector('[data-bp-form]') && !!window.crypto.subtle")
        .await;
    assert_eq!(b.eval(&visible).await, false, "locked: no text shown");
    assert_eq!(
        b.eval("document.title.startsWith('Private post')").await,
        true
    );
    b.screenshot(&shots.join("private-locked.png")).await;

    // A wrong passphrase says so and shows nothing.
    unlock_with(&mut b, "not the passphrase").await;
    b.wait_for(
        "document.querySelector('[data-bp-status]').textContent.toLowerCase()\
         .includes('wrong passphrase')",
    )
    .await;
    assert_eq!(b.eval(&visible).await, false);
    assert_eq!(
        b.eval("document.querySelector('[data-bp-body]').hidden")
            .await,
        true
    );
    b.screenshot(&shots.join("private-wrong-passphrase.png"))
        .await;

    // The right one shows the post, its title, its highlighted code.
    unlock_with(&mut b, DEMO_PASSPHRASE).await;
    b.wait_for(&visible).await;
    assert_eq!(
        b.eval("document.querySelector('.post-title').textContent")
            .await,
        "Grandmother's rye, written down at last"
    );
    assert_eq!(
        b.eval("document.title.startsWith(\"Grandmother's rye\")")
            .await,
        true
    );
    assert_eq!(
        b.eval("!!document.querySelector('[data-bp-body] table')")
            .await,
        true
    );
    assert_eq!(
        b.eval("document.querySelector('[data-bp-form]').hidden")
            .await,
        true
    );
    b.screenshot(&shots.join("private-unlocked.png")).await;

    // "Remember for this tab" keeps the key (not the passphrase): a reload opens by itself.
    assert_eq!(
        b.eval(&format!(
            "Object.keys(sessionStorage).length === 1 && \
             !Object.values(sessionStorage).some(v => v.includes({DEMO_PASSPHRASE:?}))"
        ))
        .await,
        true
    );
    b.goto(&p.url(PRIVATE_URL)).await;
    b.wait_for(&visible).await;
    b.close().await;
    p.server.shutdown().await.unwrap();
}
