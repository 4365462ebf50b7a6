//! `serve` and images: an edit that adds a photo is shown at once (the original stands in
//! under the variants' names) and the variants follow from a background thread.

use bucketpress::images::testdata;

use super::{DEADLINE, Preview};

#[tokio::test(flavor = "multi_thread")]
async fn a_new_photo_shows_at_once_and_its_variants_follow() {
    let preview = Preview::start().await;
    let post = preview.path("content/posts/slow-train-to-lisbon/index.md");
    std::fs::write(
        preview.path("content/posts/slow-train-to-lisbon/harbour.jpg"),
        testdata::jpeg(1800, 1200, &testdata::exif(1, true)),
    )
    .unwrap();
    let mut text = std::fs::read_to_string(&post).unwrap();
    text.push_str("\n![The harbour](harbour.jpg)\n");
    std::fs::write(&post, text).unwrap();
    let page = "/posts/slow-train-to-lisbon/";
    preview.wait_for_text(page, "srcset=\"/img/harbour.").await;
    let html = preview.text(page).await;
    let url = html
        .split(['"', ' ', ','])
        .find(|s| s.starts_with("/img/harbour.") && s.ends_with(".480.webp"))
        .expect("a 480 px WebP in the srcset");
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let response = preview.get(url).await;
        assert_eq!(
            response.status(),
            200,
            "{url} is served from the first rebuild on"
        );
        let bytes = response.bytes().await.unwrap();
        let format = image::guess_format(&bytes).unwrap();
        if format == image::ImageFormat::WebP {
            let img = image::load_from_memory(&bytes).unwrap();
            assert_eq!(img.width(), 480);
            assert!(!testdata::contains(&bytes, &testdata::gps_latitude_bytes()));
            break;
        }
        assert_eq!(format, image::ImageFormat::Jpeg, "the original stands in");
        assert!(
            tokio::time::Instant::now() < deadline,
            "the variant was never made"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
