//! Tests of the image step: outputs, cache hits, errors naming the file.

use super::*;
use crate::error::{Diagnostic, Problem};
use crate::images::testdata;
use crate::outputs::Output;

fn asset(rel: &str, key: &str) -> SourceAsset {
    SourceAsset {
        path: rel.into(),
        rel_path: rel.into(),
        key: key.into(),
    }
}

fn run(images: &Images, files: &[(&str, &str, Vec<u8>)]) -> Result<Processed, Vec<Diagnostic>> {
    let sources: Vec<SourceAsset> = files.iter().map(|(r, k, _)| asset(r, k)).collect();
    let outputs = files
        .iter()
        .map(|(_, k, b)| Output::from_bytes(*k, b.clone(), OutputKind::Asset))
        .collect();
    images
        .process(&ImageConfig::default(), "/", &sources, outputs)
        .map_err(|e| e.into_iter().map(Diagnostic::from).collect())
}

#[test]
fn a_site_without_raster_images_is_untouched() {
    let images = Images::new();
    let out = run(&images, &[("static/a.css", "a.css", b"body{}".to_vec())]).unwrap();
    assert!(out.catalog.is_empty());
    assert_eq!(out.outputs.len(), 1);
    assert_eq!(out.outputs[0].key, "a.css");
}

#[test]
fn variants_are_made_once_then_come_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = testdata::jpeg(1000, 500, &testdata::exif(1, true));
    let files = [("content/posts/t/Photo 1.jpg", "posts/t/Photo 1.jpg", jpeg)];
    let mut first = Images::new();
    first.persist_in(dir.path());
    let out = run(&first, &files).unwrap();
    assert_eq!(out.made, 4, "480, 960, 1000 WebP and a 960 JPEG");
    let keys: Vec<&str> = out.outputs.iter().map(|o| o.key.as_str()).collect();
    assert!(
        keys.iter()
            .any(|k| k.starts_with("img/photo-1.") && k.ends_with(".480.webp"))
    );
    assert!(keys.iter().any(|k| k.ends_with(".1000.webp")));
    assert!(keys.iter().any(|k| k.ends_with(".960.jpg")));
    assert!(
        keys.contains(&"posts/t/Photo 1.jpg"),
        "a small original is published"
    );
    let picture = out
        .catalog
        .lookup("Photo%201.jpg", "content/posts/t/index.md")
        .unwrap();
    assert_eq!((picture.width, picture.height), (960, 480));

    // A new process with the same cache folder decodes nothing.
    let mut second = Images::new();
    second.persist_in(dir.path());
    let again = run(&second, &files).unwrap();
    assert_eq!(again.made, 0);
    let hashes = |p: &Processed| p.outputs.iter().map(|o| o.hash.clone()).collect::<Vec<_>>();
    assert_eq!(hashes(&out), hashes(&again));
}

#[test]
fn no_published_byte_carries_the_gps_position() {
    let jpeg = testdata::jpeg(600, 400, &testdata::exif(6, true));
    let out = run(&Images::new(), &[("static/img/a.jpg", "img/a.jpg", jpeg)]).unwrap();
    assert!(out.outputs.len() >= 3);
    for o in &out.outputs {
        let bytes = o.body.read_all().unwrap();
        assert!(
            !testdata::contains(&bytes, &testdata::gps_latitude_bytes()),
            "{}",
            o.key
        );
        assert!(
            !testdata::contains(&bytes, testdata::SECRET_MAKE.as_bytes()),
            "{}",
            o.key
        );
        let shown = image::load_from_memory(&bytes).unwrap();
        if o.key != "img/a.jpg" {
            // Orientation 6 was applied before resizing: the variants stand upright.
            assert!(shown.height() > shown.width(), "{}", o.key);
        }
    }
}

#[test]
fn big_originals_are_left_out_unless_asked() {
    let jpeg = testdata::jpeg(1200, 900, &[]);
    let files = [("static/big.jpg", "big.jpg", jpeg)];
    let sources: Vec<SourceAsset> = files.iter().map(|(r, k, _)| asset(r, k)).collect();
    let outputs = || {
        files
            .iter()
            .map(|(_, k, b)| Output::from_bytes(*k, b.clone(), OutputKind::Asset))
            .collect::<Vec<_>>()
    };
    let small_limit = ImageConfig {
        max_original: bytesize::ByteSize::b(1000),
        ..ImageConfig::default()
    };
    let images = Images::new();
    let out = images
        .process(&small_limit, "/", &sources, outputs())
        .unwrap();
    assert!(!out.outputs.iter().any(|o| o.key == "big.jpg"));
    let asked = ImageConfig {
        publish_originals: true,
        ..small_limit
    };
    let out = images.process(&asked, "/", &sources, outputs()).unwrap();
    assert!(out.outputs.iter().any(|o| o.key == "big.jpg"));
}

#[test]
fn broken_and_bomb_images_name_their_file() {
    let broken = testdata::jpeg(100, 100, &[])[..50].to_vec();
    let bomb = testdata::png_header_only(50_000, 50_000);
    let errors = run(
        &Images::new(),
        &[
            ("content/posts/a/broken.jpg", "posts/a/broken.jpg", broken),
            ("static/bomb.png", "bomb.png", bomb),
        ],
    )
    .unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].path, Path::new("content/posts/a/broken.jpg"));
    assert!(matches!(
        errors[0].problem,
        Problem::Image(ImageError::Unreadable(_))
    ));
    assert_eq!(errors[1].path, Path::new("static/bomb.png"));
    assert!(matches!(
        errors[1].problem,
        Problem::Image(ImageError::TooManyPixels { .. })
    ));
}

#[test]
fn lazy_mode_serves_originals_then_notifies() {
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = Mutex::new(tx);
    let mut images = Images::new();
    images.lazily(Arc::new(move || {
        let _ = tx.lock().unwrap().send(());
    }));
    let jpeg = testdata::jpeg(800, 600, &[]);
    let files = [("static/a.jpg", "a.jpg", jpeg.clone())];
    let out = run(&images, &files).unwrap();
    assert_eq!((out.made, out.pending), (0, 3));
    let stand_in = out
        .outputs
        .iter()
        .find(|o| o.key.ends_with(".480.webp"))
        .unwrap();
    assert_eq!(
        stand_in.body.read_all().unwrap(),
        jpeg,
        "the original stands in"
    );
    rx.recv_timeout(std::time::Duration::from_secs(30))
        .expect("the background thread finished");
    let out = run(&images, &files).unwrap();
    assert_eq!(out.pending, 0);
    let webp = out
        .outputs
        .iter()
        .find(|o| o.key.ends_with(".480.webp"))
        .unwrap();
    assert_eq!(
        image::guess_format(&webp.body.read_all().unwrap()).unwrap(),
        image::ImageFormat::WebP
    );
}
