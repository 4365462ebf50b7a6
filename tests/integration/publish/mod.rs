//! `publish` against the in-process S3 server, one file a concern; this file holds the helpers
//! they share (a small site's outputs, options, reading the bucket).

pub mod backends;
pub mod basics;
pub mod bodies;
pub mod chaos;
pub mod cli;
pub mod dir;
pub mod faults;
pub mod headers;
pub mod input;
pub mod interrupted;
pub mod kill;
pub mod multipart;
pub mod ownership;
pub mod rendered_sites;
pub mod sources;
pub mod timeouts;
pub mod truth;
pub mod verify;

use bucketpress::config::PublishConfig;
use bucketpress::outputs::{Output, OutputKind, Outputs};
use bucketpress::publish::apply::NoProgress;
use bucketpress::publish::target::Target;
use bucketpress::publish::{PublishError, PublishOptions, Report, publish_outputs};

use crate::s3_server::BUCKET;

/// A small site: 2 assets, 2 pages, 2 listings, 1 alias. `edit` changes post a's body.
pub fn site(edit: &str) -> Outputs {
    let mut alias = Output::from_bytes(
        "old-a/index.html",
        b"<!doctype html><meta http-equiv=refresh content=\"0; url=/posts/a/\">".to_vec(),
        OutputKind::Redirect,
    );
    alias.redirect = Some("/posts/a/".into());
    let html = |s: &str| {
        format!(
            "<!doctype html><title>{s}</title>{}",
            "<p>text</p>".repeat(40)
        )
    };
    [
        Output::from_bytes(
            "style.css",
            "body{color:#333}".repeat(20).into_bytes(),
            OutputKind::Asset,
        ),
        Output::from_bytes(
            "img/logo.png",
            vec![0x89, b'P', b'N', b'G', 1, 2, 3],
            OutputKind::Asset,
        ),
        Output::from_bytes(
            "posts/a/index.html",
            html(&format!("a{edit}")).into_bytes(),
            OutputKind::Page,
        ),
        Output::from_bytes(
            "posts/b/index.html",
            html("b").into_bytes(),
            OutputKind::Page,
        ),
        Output::from_bytes("index.html", html("home").into_bytes(), OutputKind::Listing),
        Output::from_bytes(
            "atom.xml",
            b"<feed>...</feed>".repeat(30),
            OutputKind::Listing,
        ),
        alias,
    ]
    .into_iter()
    .collect()
}

/// `outputs` without `keys`.
pub fn without(outputs: Outputs, keys: &[&str]) -> Outputs {
    outputs
        .iter()
        .filter(|o| !keys.contains(&o.key.as_str()))
        .cloned()
        .collect()
}

/// Default knobs, small concurrency.
pub fn opts() -> PublishOptions {
    PublishOptions {
        force: false,
        verify: false,
        max_deletes: 256,
        concurrency: 4,
        max_concurrency: 4,
    }
}

/// The default config without the deploy history: tests that count a publish's own requests
/// and keys (`deploys.rs` covers the history's).
pub fn no_history() -> PublishConfig {
    PublishConfig {
        keep_deploys: 0,
        ..PublishConfig::default()
    }
}

/// Publishes with the default config, history off ([`no_history`]).
pub async fn publish<T: Target>(target: &T, outputs: Outputs) -> Result<Report, PublishError> {
    publish_outputs(target, outputs, &no_history(), &opts(), &NoProgress).await
}

pub async fn get(client: &aws_sdk_s3::Client, key: &str) -> Vec<u8> {
    let out = client
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap();
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

pub async fn exists(client: &aws_sdk_s3::Client, key: &str) -> bool {
    client
        .head_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .is_ok()
}
