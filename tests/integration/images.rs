//! Images through the whole pipeline: `<picture>` markup, variants as outputs, metadata
//! stripped, the cache, and clear errors for broken files and decompression bombs.

use std::path::Path;

use bucketpress::error::Problem;
use bucketpress::images::{ImageError, testdata};
use bucketpress::pipeline::{BuildOptions, Session, render_site};

use crate::support::{self, text};

/// A site with a page bundle holding a big and a small photo (the big one with GPS tags and
/// a sideways EXIF orientation), a static image, and a post showing all three.
fn photo_site() -> tempfile::TempDir {
    let dir = support::site(&[(
        "content/posts/trip/index.md",
        "---\ntitle: Trip\ndate: 2024-05-01\n---\n\nIntro.\n\n![The *harbour*](harbour.jpg \"At dawn\")\n\n\
         ![Small one](small.png)\n\n![Logo](/img/logo.png)\n\n![Remote](https://example.org/x.jpg)\n",
    )]);
    let bundle = dir.path().join("content/posts/trip");
    std::fs::write(
        bundle.join("harbour.jpg"),
        testdata::jpeg(2000, 1500, &testdata::exif(6, true)),
    )
    .unwrap();
    std::fs::write(bundle.join("small.png"), testdata::png(300, 200, true)).unwrap();
    std::fs::create_dir_all(dir.path().join("static/img")).unwrap();
    std::fs::write(
        dir.path().join("static/img/logo.png"),
        testdata::png_with_metadata(120, 60),
    )
    .unwrap();
    dir
}

#[test]
fn markdown_images_become_pictures_with_srcset_and_size() {
    let site = photo_site();
    let r = render_site(site.path(), &BuildOptions::default()).expect("builds");
    let html = text(&r.outputs, "posts/trip/index.html");
    // Orientation 6 turns the 2000x1500 photo into a 1500x2000 portrait.
    let first = html
        .split("<picture>")
        .nth(1)
        .expect("the first image is a picture");
    for expected in [
        "<source type=\"image/webp\" srcset=\"/img/harbour.",
        ".480.webp 480w, /img/harbour.",
        ".960.webp 960w, /img/harbour.",
        ".1500.webp 1500w\"",
        "alt=\"The harbour\"",
        "title=\"At dawn\"",
        "width=\"960\" height=\"1280\"",
        "loading=\"eager\"",
        "decoding=\"async\"",
    ] {
        assert!(first.contains(expected), "{expected} not in {first}");
    }
    let second = html.split("<picture>").nth(2).expect("second picture");
    assert!(second.contains(".300.webp 300w\""), "{second}");
    assert!(second.contains("width=\"300\" height=\"200\" loading=\"lazy\""));
    assert!(html.contains("alt=\"Logo\""));
    assert!(html.contains("<img src=\"https://example.org/x.jpg\" alt=\"Remote\""));
    assert_eq!(html.matches("<picture>").count(), 3);

    // Every URL in the markup is an output of the announced size and format.
    let urls: Vec<&str> = html
        .split(['"', ' ', ','])
        .filter(|s| s.starts_with("/img/") && s.contains('.'))
        .collect();
    assert_eq!(urls.len(), 8, "{urls:?}");
    for url in urls {
        let key = &url[1..];
        let output = r
            .outputs
            .get(key)
            .unwrap_or_else(|| panic!("no output {key}"));
        let bytes = output.body.read_all().unwrap();
        let img = image::load_from_memory(&bytes).unwrap();
        let width: u32 = key.rsplit('.').nth(1).unwrap().parse().unwrap_or(0);
        if width > 0 {
            assert_eq!(img.width(), width, "{key}");
        }
        let expected = if key.ends_with(".webp") {
            "image/webp"
        } else if key.ends_with(".png") {
            "image/png"
        } else {
            "image/jpeg"
        };
        assert_eq!(output.content_type, expected, "{key}");
    }
}

#[test]
fn no_published_file_carries_gps_or_camera_metadata() {
    let site = photo_site();
    let r = render_site(site.path(), &BuildOptions::default()).expect("builds");
    let mut images = 0;
    for output in r.outputs.iter() {
        let bytes = output.body.read_all().unwrap();
        assert!(
            !testdata::contains(&bytes, &testdata::gps_latitude_bytes()),
            "GPS position in {}",
            output.key
        );
        assert!(
            !testdata::contains(&bytes, testdata::SECRET_MAKE.as_bytes()),
            "camera maker in {}",
            output.key
        );
        // The theme's favicon.svg (a site without one gets it) is not a photo's.
        images +=
            usize::from(output.content_type.starts_with("image/") && output.key != "favicon.svg");
    }
    assert_eq!(images, 8 + 3, "variants and originals published");
    // The original is small enough to publish (without metadata, still upright).
    let original = r.outputs.get("posts/trip/harbour.jpg").expect("original");
    let shown = image::load_from_memory(&original.body.read_all().unwrap()).unwrap();
    assert_eq!(
        (shown.width(), shown.height()),
        (2000, 1500),
        "pixels as stored"
    );
}

#[test]
fn an_unchanged_photo_is_never_processed_again() {
    let site = photo_site();
    let mut first = Session::new(site.path(), BuildOptions::default()).single_render();
    first.persist_highlights();
    let a = first.render().expect("first build");
    assert_eq!(
        first.images_made().0,
        4 + 2 + 2,
        "harbour 4, small 2, logo 2"
    );
    let mut second = Session::new(site.path(), BuildOptions::default()).single_render();
    second.persist_highlights();
    let b = second.render().expect("second build");
    assert_eq!(second.images_made(), (0, 0), "everything from the cache");
    let hashes = |r: &bucketpress::pipeline::Rendered| {
        r.outputs
            .iter()
            .map(|o| (o.key.clone(), o.hash.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(hashes(&a), hashes(&b));
}

#[test]
fn broken_and_bomb_images_fail_the_build_naming_the_file() {
    let site = support::site(&[(
        "content/posts/a.md",
        "---\ntitle: A\ndate: 2024-01-01\n---\nx\n",
    )]);
    let jpeg = testdata::jpeg(64, 64, &[]);
    support::write(site.path(), "static/cut.jpg", "");
    std::fs::write(site.path().join("static/cut.jpg"), &jpeg[..100]).unwrap();
    std::fs::write(
        site.path().join("static/bomb.png"),
        testdata::png_header_only(40_000, 40_000),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let errors = render_site(site.path(), &BuildOptions::default())
        .expect_err("broken images are errors")
        .0;
    assert!(started.elapsed().as_secs() < 10, "no stall on a bomb");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].path, Path::new("static/bomb.png"));
    assert!(matches!(
        errors[0].problem,
        Problem::Image(ImageError::TooManyPixels {
            width: 40_000,
            height: 40_000,
            ..
        })
    ));
    assert!(errors[0].to_string().starts_with("static/bomb.png: "));
    assert_eq!(errors[1].path, Path::new("static/cut.jpg"));
    assert!(matches!(
        errors[1].problem,
        Problem::Image(ImageError::Unreadable(_))
    ));
}

#[test]
fn images_can_be_turned_off() {
    let site = photo_site();
    support::write(
        site.path(),
        "site.toml",
        "title = \"T\"\nbase_url = \"https://t.example/\"\n[images]\nenabled = false\n",
    );
    let r = render_site(site.path(), &BuildOptions::default()).expect("builds");
    let html = text(&r.outputs, "posts/trip/index.html");
    assert!(!html.contains("<picture>"));
    assert!(html.contains("<img src=\"harbour.jpg\""));
    assert!(!r.outputs.keys().any(|k| k.ends_with(".webp")));
}

#[test]
fn variants_are_published_with_immutable_caching() {
    use bucketpress::publish::headers::{ASSET_CACHE, IMMUTABLE_CACHE, apply_headers};
    let site = photo_site();
    let mut r = render_site(site.path(), &BuildOptions::default()).expect("builds");
    apply_headers(
        &mut r.outputs,
        &bucketpress::config::PublishConfig::default(),
    );
    let mut variants = 0;
    for output in r.outputs.iter() {
        if output.key.starts_with("img/") && output.key != "img/logo.png" {
            variants += 1;
            assert_eq!(
                output.cache_control.as_deref(),
                Some(IMMUTABLE_CACHE),
                "{}",
                output.key
            );
        }
    }
    assert_eq!(variants, 8);
    let original = r.outputs.get("posts/trip/harbour.jpg").unwrap();
    assert_eq!(original.cache_control.as_deref(), Some(ASSET_CACHE));
}

#[test]
fn covers_show_on_listings_and_in_opengraph_and_templates_have_image() {
    let site = photo_site();
    let post = site.path().join("content/posts/trip/index.md");
    let text = std::fs::read_to_string(&post).unwrap();
    std::fs::write(
        &post,
        text.replacen("title: Trip\n", "title: Trip\ncover: harbour.jpg\n", 1),
    )
    .unwrap();
    support::write(
        site.path(),
        "templates/page.html",
        "{% set p = image(path=\"img/logo.png\") %}{{ p.src | safe }} {{ p.width }}x{{ p.height }}|\
         {% set s = resize_image(path=\"content/posts/trip/harbour.jpg\", width=700) %}{{ s.url | safe }} {{ s.width }}",
    );
    support::write(
        site.path(),
        "content/about.md",
        "---\ntitle: About\n---\nx\n",
    );
    let r = render_site(site.path(), &BuildOptions::default()).expect("builds");
    let home = text_of(&r, "index.html");
    assert!(home.contains("class=\"post-cover\""), "{home}");
    assert!(home.contains("srcset=\"/img/harbour."));
    let page = text_of(&r, "posts/trip/index.html");
    let og = page
        .lines()
        .find(|l| l.contains("og:image\""))
        .expect("og:image");
    assert!(
        og.contains("content=\"https://t.example/img/harbour."),
        "{og}"
    );
    assert!(og.contains(".960.jpg\""), "{og}");
    assert!(page.contains("<meta property=\"og:image:height\" content=\"1280\">"));
    let about = text_of(&r, "about/index.html");
    let (logo, harbour) = about.split_once('|').unwrap();
    assert!(
        logo.starts_with("/img/logo.") && logo.ends_with(".120.png 120x60"),
        "{logo}"
    );
    assert!(
        harbour.starts_with("/img/harbour.") && harbour.ends_with(".960.webp 960"),
        "{harbour}"
    );
}

#[test]
fn an_unknown_image_in_a_template_is_an_error_naming_it() {
    let site = photo_site();
    support::write(
        site.path(),
        "templates/page.html",
        "{{ image(path=\"nope.jpg\").src }}",
    );
    support::write(
        site.path(),
        "content/about.md",
        "---\ntitle: About\n---\nx\n",
    );
    let errors = render_site(site.path(), &BuildOptions::default())
        .unwrap_err()
        .0;
    assert!(matches!(errors[0].problem, Problem::Template(_)));
    assert!(errors[0].to_string().contains("nope.jpg"), "{}", errors[0]);
}

fn text_of(r: &bucketpress::pipeline::Rendered, key: &str) -> String {
    text(&r.outputs, key)
}
