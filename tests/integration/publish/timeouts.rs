//! A store that accepts connections and never answers (a black hole): every attempt times
//! out after the configured attempt timeout, each retry says so on stderr, and the publish
//! fails after a bounded number of attempts with a one-line error.

use std::time::{Duration, Instant};

use crate::publish::truth::publish;
use crate::support::site;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_endpoint_fails_soon_with_a_line_per_retry() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    // Accept every connection and keep it open without ever sending a byte.
    let hole = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let config = format!(
        "title = \"T\"\nbase_url = \"https://t.example/\"\n[publish]\nbucket = \"site\"\n\
         region = \"us-east-1\"\nendpoint = \"{endpoint}\"\npath_style = true\n"
    );
    let dir = site(&[
        ("site.toml", &config),
        (
            "content/a.md",
            "---\ntitle: A\ndate: 2024-01-01\n---\nHi.\n",
        ),
    ]);
    let started = Instant::now();
    let env = [("BUCKETPRESS_S3_ATTEMPT_TIMEOUT_MS", "300")];
    let out = publish(dir.path(), true, &env, &[]).await;
    let elapsed = started.elapsed();
    hole.abort();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    for attempt in 2..=5 {
        let line = format!(
            "retrying GetObject s3://site/.bucketpress/manifest.json ({attempt}/5): timed out \
             after 0.3 s"
        );
        assert!(stderr.contains(&line), "no {line:?} in:\n{stderr}");
    }
    assert_eq!(stderr.matches("retrying ").count(), 4, "{stderr}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line:\n{stderr}"));
    assert!(error.contains("timed out"), "{error}");
    assert!(
        !error.contains("Error {") && !error.contains("source:"),
        "{error}"
    );
    // 5 attempts of 0.3 s and the SDK's backoff (at most 1 + 2 + 4 + 8 s): far from minutes.
    assert!(elapsed < Duration::from_secs(45), "{elapsed:?}");
}

/// Twenty pages, so that a store going silent part way has many uploads left.
fn many_pages() -> bucketpress::outputs::Outputs {
    use bucketpress::outputs::{Output, OutputKind};
    (0..20)
        .map(|i| {
            Output::from_bytes(
                format!("posts/{i}/index.html"),
                format!("<p>{i}</p>").into_bytes(),
                OutputKind::Page,
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_stops_answering_stops_the_publish_after_one_round() {
    use bucketpress::config::PublishConfig;
    use bucketpress::publish::apply::NoProgress;
    use bucketpress::publish::publish_outputs;
    use bucketpress::publish::target::TargetError;

    use crate::s3_server::{Fault, FaultKind, S3Server};

    let server = S3Server::start().await;
    // Every upload's answer comes after the client gave up on it.
    server.fault(Fault::new(
        "PUT",
        "/posts/",
        usize::MAX,
        FaultKind::Delay(Duration::from_millis(600)),
    ));
    let target = server.target_with_attempt_timeout("", Duration::from_millis(200));
    let mut opts = crate::publish::opts();
    opts.concurrency = 2;
    let err = publish_outputs(
        &target,
        many_pages(),
        &PublishConfig::default(),
        &opts,
        &NoProgress,
    )
    .await
    .unwrap_err();
    let bucketpress::publish::PublishError::Apply { failure, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(
        matches!(
            failure.error,
            bucketpress::publish::apply::ApplyError::Target(TargetError::Unreachable(_))
        ),
        "{:?}",
        failure.error
    );
    // Two unanswered uploads (a round at concurrency 2) stop it; at most the two in flight
    // beside them were also tried, five attempts each, instead of all twenty keys.
    let puts = server.count("PUT");
    assert!(puts <= 4 * 5, "{puts} PUTs");
    assert!(
        failure.summary.failed.len() <= 4,
        "{:?}",
        failure.summary.failed
    );
}
