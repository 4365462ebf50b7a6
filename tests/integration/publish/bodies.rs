//! Bodies and encodings against the in-process S3 server: gzip, files streamed from disk,
//! multipart uploads.

use std::io::Read;

use bucketpress::config::PublishConfig;
use bucketpress::outputs::{Output, OutputKind, Outputs, hash_bytes};
use bucketpress::publish::apply::NoProgress;
use bucketpress::publish::headers::ASSET_CACHE;
use bucketpress::publish::publish_outputs;
use bucketpress::publish::s3::HASH_METADATA;

use crate::publish::{get, opts, publish, site};
use crate::s3_server::{BUCKET, S3Server};

#[tokio::test]
async fn gzip_path_round_trips_and_is_stable() {
    let server = S3Server::start().await;
    let cfg = PublishConfig {
        gzip: true,
        ..PublishConfig::default()
    };
    let report = publish_outputs(&server.target(""), site(""), &cfg, &opts(), &NoProgress)
        .await
        .unwrap();
    assert_eq!(report.summary.uploaded, site("").len());
    let client = server.client();
    let out = client
        .get_object()
        .bucket(BUCKET)
        .key("index.html")
        .send()
        .await
        .unwrap();
    assert_eq!(out.content_encoding(), Some("gzip"));
    let stored_hash = out.metadata().unwrap()[HASH_METADATA].clone();
    let gz = out.body.collect().await.unwrap().into_bytes().to_vec();
    assert_eq!(hash_bytes(&gz), stored_hash);
    let mut html = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut html)
        .unwrap();
    assert_eq!(
        html.as_bytes(),
        site("").get("index.html").unwrap().body.as_bytes().unwrap()
    );
    // Binary assets are not compressed.
    let png = client
        .head_object()
        .bucket(BUCKET)
        .key("img/logo.png")
        .send()
        .await
        .unwrap();
    assert_eq!(png.content_encoding(), None);

    // Deterministic gzip: republishing sends nothing but the manifest read.
    server.reset();
    publish_outputs(&server.target(""), site(""), &cfg, &opts(), &NoProgress)
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 1);

    // Turning gzip off re-uploads the compressed keys (content and encoding changed).
    server.reset();
    let report = publish(&server.target(""), site("")).await.unwrap();
    assert!(report.summary.uploaded >= 4, "{:?}", report.plan.actions);
    let head = client
        .head_object()
        .bucket(BUCKET)
        .key("index.html")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_encoding(), None);
}

#[tokio::test]
async fn large_file_goes_multipart_streamed_from_disk() {
    let server = S3Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("video.bin");
    let size = (17 << 20) + 123;
    let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &bytes).unwrap();
    let mut outputs = Outputs::new();
    outputs.insert(Output {
        key: "media/video.bin".into(),
        body: bucketpress::outputs::Body::File {
            path: path.clone(),
            size: size as u64,
        },
        hash: hash_bytes(&bytes),
        content_type: "application/octet-stream".into(),
        content_encoding: None,
        cache_control: None,
        redirect: None,
        kind: OutputKind::Asset,
    });
    publish(&server.target(""), outputs).await.unwrap();
    // create + 3 parts (8 + 8 + 1 MiB) + complete.
    let posts = server.count("POST");
    let part_puts = server
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.query.contains("partNumber"))
        .count();
    assert_eq!((posts, part_puts), (2, 3), "{:#?}", server.requests());
    let client = server.client();
    let head = client
        .head_object()
        .bucket(BUCKET)
        .key("media/video.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(size as i64));
    assert_eq!(
        head.content_encoding(),
        None,
        "no aws-chunked left on the object"
    );
    assert_eq!(head.metadata().unwrap()[HASH_METADATA], hash_bytes(&bytes));
    assert_eq!(head.cache_control(), Some(ASSET_CACHE));
    assert_eq!(
        hash_bytes(&get(&client, "media/video.bin").await),
        hash_bytes(&bytes)
    );
}

fn file_output(key: &str, path: &std::path::Path, bytes: &[u8], encoding: Option<&str>) -> Output {
    std::fs::write(path, bytes).unwrap();
    Output {
        key: key.into(),
        body: bucketpress::outputs::Body::File {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
        },
        hash: hash_bytes(bytes),
        content_type: bucketpress::outputs::content_type_for(key),
        content_encoding: encoding.map(str::to_owned),
        cache_control: None,
        redirect: None,
        kind: OutputKind::Asset,
    }
}

/// DESIGN.md: a streamed (aws-chunked) PUT that also says `Content-Encoding: gzip` carries
/// two Content-Encoding headers. Every body path must store exactly the encoding we set.
#[tokio::test]
async fn every_body_path_stores_the_exact_content_encoding() {
    let server = S3Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let small = bucketpress::publish::headers::gzip(&b"body { margin: 0 }\n".repeat(5000));
    let big: Vec<u8> = (0..(17u32 << 20)).map(|i| (i % 13) as u8).collect();
    let outputs: Outputs = [
        // On disk, no encoding: streamed PutObject (aws-chunked with a CRC32 trailer).
        file_output(
            "plain.bin",
            &dir.path().join("a"),
            &b"0123456789".repeat(10_000),
            None,
        ),
        // On disk, precompressed: sent from memory so the encoding is not doubled.
        file_output("site.css", &dir.path().join("b"), &small, Some("gzip")),
        // Large and precompressed: multipart; the encoding is set once, on create.
        file_output("big.js", &dir.path().join("c"), &big, Some("gzip")),
    ]
    .into_iter()
    .collect();
    let report = publish(&server.target(""), outputs.clone()).await.unwrap();
    assert_eq!(report.summary.uploaded, 3);
    let client = server.client();
    for o in outputs.iter() {
        let out = client
            .get_object()
            .bucket(BUCKET)
            .key(&o.key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            out.content_encoding(),
            o.content_encoding.as_deref(),
            "{}",
            o.key
        );
        assert_eq!(out.metadata().unwrap()[HASH_METADATA], o.hash, "{}", o.key);
        let body = out.body.collect().await.unwrap().into_bytes();
        assert_eq!(hash_bytes(&body), o.hash, "{}: stored bytes", o.key);
    }
}
