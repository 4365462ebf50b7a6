//! The error overlay says each problem once: a template typo that fails every post is one
//! entry with a count, Tera's display on lines of its own, and a button to dismiss it.

use bucketpress::serve::reload::Event;

use super::{POST_URL, Preview};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_typo_is_one_overlay_entry_with_a_count() {
    let p = Preview::start().await;
    let (mut socket, _) = p.reload_socket().await;
    std::fs::create_dir_all(p.path("templates")).unwrap();
    std::fs::write(
        p.path("templates/post.html"),
        "<html><body>\n<h1>{{ post.titel }}</h1>\n</body></html>\n",
    )
    .unwrap();
    let event = socket.until(|e| matches!(e, Event::Errors { .. })).await;
    let Event::Errors { errors } = event else {
        unreachable!()
    };
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let (head, rest) = errors[0]
        .split_once('\n')
        .expect("Tera's cause on its own line");
    assert!(
        head.starts_with("templates/post.html:2:8: Failed to render 'post.html' (in ")
            && head.contains(" pages, first content/posts/"),
        "{head}"
    );
    assert_eq!(
        rest,
        "Variable `post.titel` not found in context while rendering 'post.html'"
    );
    let page = p.text(POST_URL).await;
    assert!(page.contains("<div id=\"__bucketpress_overlay\" role=\"alert\"><button"));
    assert!(page.contains("onclick=\"this.parentNode.remove()\">Dismiss"));
    assert!(page.contains("(in "));
    p.server.shutdown().await.unwrap();
}
