//! Big static files get a `.torrent`: built through the real pipeline, checked with parsers
//! and hashers we did not write (the `lava_torrent` crate; Python `torf` in an ignored test),
//! shown to templates, and published once only.

use std::path::{Path, PathBuf};

use bucketpress::outputs::{Body, Outputs};
use bucketpress::pipeline::{BuildOptions, Rendered, Session, render_site};
use bucketpress::publish::apply::NoProgress;
use bucketpress::publish::publish_outputs;
use lava_torrent::bencode::BencodeElem;
use lava_torrent::torrent::v1::{Torrent, TorrentBuilder};
use tempfile::TempDir;

use crate::publish::opts;
use crate::s3_server::{BUCKET, S3Server};
use crate::support::{site, text, write};

/// In memory: above the torrent threshold, below the streaming threshold; 19 pieces, odd tail.
const SMALL_KEY: &str = "media/notes.bin";
const SMALL_SIZE: usize = 300_001;
/// Streamed from disk (a `Body::File`): above the 8 MiB streaming threshold, odd size.
const BIG_KEY: &str = "media/talk video.bin";
const BIG_SIZE: usize = (8 << 20) + 12_345;

const SITE_TOML: &str = "title = \"T\"\nbase_url = \"https://t.example/\"\n\n\
                         [torrents]\nthreshold = \"64KiB\"\n";

/// A site with two big files, one small one, and a page whose template lists the torrents.
fn torrent_site() -> TempDir {
    let dir = site(&[
        ("site.toml", SITE_TOML),
        (
            "content/downloads.md",
            "---\ntitle: Downloads\ntemplate: downloads.html\n---\nFiles.\n",
        ),
        (
            "templates/downloads.html",
            "{% set t = torrents[\"media/talk video.bin\"] %}\
             <a href=\"{{ t.url | escape_xml | safe }}\">{{ t.name }}</a> ({{ t.size_display }}) \
             <a href=\"{{ t.torrent_url | escape_xml | safe }}\">torrent</a> <a href=\"{{ t.magnet | escape_xml | safe }}\">magnet</a>\n\
             {% for key, f in torrents %}[{{ key | escape_xml | safe }} {{ f.info_hash }}]{% endfor %}",
        ),
        ("static/small.txt", "not big enough"),
    ]);
    write_pattern(&dir.path().join("static").join(SMALL_KEY), SMALL_SIZE, 7);
    write_pattern(&dir.path().join("static").join(BIG_KEY), BIG_SIZE, 13);
    dir
}

fn write_pattern(path: &Path, size: usize, step: usize) {
    let bytes: Vec<u8> = (0..size).map(|i| (i * step % 251) as u8).collect();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn render(dir: &Path) -> Rendered {
    render_site(dir, &BuildOptions::default()).expect("the site renders")
}

fn torrent_bytes(outputs: &Outputs, key: &str) -> Vec<u8> {
    let output = outputs
        .get(&format!("{key}.torrent"))
        .unwrap_or_else(|| panic!("no torrent for {key}"));
    assert_eq!(output.content_type, "application/x-bittorrent");
    output.body.read_all().unwrap()
}

/// The info-hash our magnet link announces.
fn magnet_hash(page: &str) -> String {
    let start = page.find("magnet:?xt=urn:btih:").expect("a magnet link") + 20;
    page[start..start + 40].to_string()
}

#[test]
fn big_files_get_torrents_that_an_independent_library_verifies() {
    let dir = torrent_site();
    let r = render(dir.path());
    assert!(
        !r.outputs.contains("small.txt.torrent"),
        "below the threshold"
    );
    assert!(matches!(
        r.outputs.get(BIG_KEY).unwrap().body,
        Body::File { .. }
    ));
    let page = text(&r.outputs, "downloads/index.html");
    for (key, size) in [(SMALL_KEY, SMALL_SIZE), (BIG_KEY, BIG_SIZE)] {
        let path = dir.path().join("static").join(key);
        let torrent = Torrent::read_from_bytes(torrent_bytes(&r.outputs, key)).unwrap();
        assert_eq!(torrent.length, size as i64);
        assert_eq!(torrent.name, key.rsplit('/').next().unwrap());
        assert!(torrent.files.is_none(), "a single-file torrent");
        assert!(torrent.announce.is_none(), "no tracker unless configured");
        let extra = torrent.extra_fields.as_ref().expect("url-list");
        let seeds = match &extra["url-list"] {
            BencodeElem::List(l) => l.clone(),
            other => panic!("url-list is {other:?}"),
        };
        let web_seed = format!("https://t.example/{}", key.replace(' ', "%20"));
        assert_eq!(seeds, vec![BencodeElem::String(web_seed)]);
        assert_eq!(extra.len(), 1, "no creation date or other keys: {extra:?}");
        assert!(torrent.pieces.len() > 1, "{key} spans several pieces");
        assert!(size as i64 % torrent.piece_length != 0, "odd last piece");
        assert!(
            page.contains(&format!("[{key} {}]", torrent.info_hash())),
            "template sees the info-hash lava_torrent computes: {page}"
        );

        // lava_torrent hashes the file itself; its pieces must be ours.
        let reference = TorrentBuilder::new(&path, torrent.piece_length)
            .set_num_threads(1)
            .build()
            .unwrap();
        assert_eq!(reference.pieces.len(), torrent.pieces.len());
        assert!(reference.pieces == torrent.pieces, "{key}: pieces differ");
        assert_eq!(reference.info_hash(), torrent.info_hash());
    }
    let big = Torrent::read_from_bytes(torrent_bytes(&r.outputs, BIG_KEY)).unwrap();
    assert_eq!(magnet_hash(&page), big.info_hash());
    assert!(page.contains("href=\"/media/talk%20video.bin\""), "{page}");
    assert!(
        page.contains("href=\"/media/talk%20video.bin.torrent\""),
        "{page}"
    );
    assert!(page.contains("(8.0 MiB)"), "{page}");
}

#[test]
fn two_renders_give_identical_torrents_and_the_disk_cache_is_used() {
    let dir = torrent_site();
    let first = render(dir.path());
    let mut session = Session::new(dir.path(), BuildOptions::default());
    session.persist_highlights();
    let persisted = session.render().unwrap();
    let cache = dir.path().join(bucketpress::torrent::TORRENT_CACHE);
    let entries = std::fs::read_dir(&cache).unwrap().count();
    assert_eq!(entries, 2, "one cache entry per big file");
    // Damage every entry: a wrong length must be ignored, never trusted.
    for entry in std::fs::read_dir(&cache).unwrap() {
        std::fs::write(entry.unwrap().path(), b"short").unwrap();
    }
    let mut again = Session::new(dir.path(), BuildOptions::default());
    again.persist_highlights();
    let rehashed = again.render().unwrap();
    for key in [SMALL_KEY, BIG_KEY] {
        let bytes = torrent_bytes(&first.outputs, key);
        assert_eq!(bytes, torrent_bytes(&persisted.outputs, key));
        assert_eq!(bytes, torrent_bytes(&rehashed.outputs, key));
    }
}

#[test]
fn a_file_where_a_torrent_goes_is_an_error_naming_it() {
    let dir = torrent_site();
    write(dir.path(), &format!("static/{SMALL_KEY}.torrent"), "mine");
    let err = render_site(dir.path(), &BuildOptions::default()).unwrap_err();
    let message = err.to_string();
    assert_eq!(err.0.len(), 1, "{message}");
    assert_eq!(
        err.0[0].path,
        PathBuf::from(format!("static/{SMALL_KEY}.torrent"))
    );
    assert!(message.contains("enabled = false"), "{message}");
}

#[test]
fn a_bad_threshold_names_the_line() {
    let dir = torrent_site();
    write(
        dir.path(),
        "site.toml",
        "title = \"T\"\n[torrents]\nthreshold = \"ten megs\"\n",
    );
    let err = render_site(dir.path(), &BuildOptions::default()).unwrap_err();
    assert_eq!(err.0[0].path, PathBuf::from("site.toml"));
    assert_eq!(err.0[0].line, Some(3), "{err}");
}

#[tokio::test]
async fn publishing_an_unchanged_site_again_uploads_nothing() {
    let server = S3Server::start().await;
    let dir = torrent_site();
    let rendered = render(dir.path());
    let cfg = rendered.config.publish.clone();
    let report = publish_outputs(
        &server.target(""),
        rendered.outputs,
        &cfg,
        &opts(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert!(report.summary.uploaded > 4);
    let head = server
        .client()
        .head_object()
        .bucket(BUCKET)
        .key(format!("{BIG_KEY}.torrent"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("application/x-bittorrent"));

    // A fresh render (new session, pieces hashed again) must produce the same bytes.
    server.reset();
    let again = render(dir.path());
    let report = publish_outputs(
        &server.target(""),
        again.outputs,
        &cfg,
        &opts(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert!(report.plan.is_empty(), "{:#?}", report.plan.actions);
    assert_eq!(server.writes().len(), 0, "{:#?}", server.writes());
}

/// Python `torf` (another implementation, from PyPI) reads our torrent, computes the same
/// info-hash as our magnet link, verifies the file against the pieces and rejects a copy
/// with one byte changed.
#[test]
#[ignore = "needs Python torf (pip install torf); run with --ignored"]
fn python_torf_verifies_the_torrent_against_the_file() {
    let dir = torrent_site();
    let r = render(dir.path());
    let page = text(&r.outputs, "downloads/index.html");
    let torrent_path = dir.path().join("talk.torrent");
    std::fs::write(&torrent_path, torrent_bytes(&r.outputs, BIG_KEY)).unwrap();
    let file = dir.path().join("static").join(BIG_KEY);
    let mut damaged = std::fs::read(&file).unwrap();
    damaged[BIG_SIZE / 2] ^= 1;
    let damaged_dir = dir.path().join("damaged");
    std::fs::create_dir_all(&damaged_dir).unwrap();
    let damaged_path = damaged_dir.join("talk video.bin");
    std::fs::write(&damaged_path, damaged).unwrap();

    let script = r#"
import sys, torf
t = torf.Torrent.read(sys.argv[1])
print("infohash", t.infohash)
print("webseeds", " ".join(t.webseeds))
print("size", t.size)
print("verified", t.verify(sys.argv[2]))
try:
    print("damaged", t.verify(sys.argv[3]))
except torf.VerifyContentError:
    print("damaged", False)
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&torrent_path)
        .arg(&file)
        .arg(&damaged_path)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            format!("infohash {}", magnet_hash(&page)).as_str(),
            "webseeds https://t.example/media/talk%20video.bin",
            format!("size {BIG_SIZE}").as_str(),
            "verified True",
            "damaged False",
        ]
    );
}
