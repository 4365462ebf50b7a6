//! Generates photo-like JPEGs for the image benchmark (bench/images.sh): gradients under
//! per-pixel noise, quality 90, each with an EXIF segment carrying GPS tags, so the
//! benchmark also exercises metadata stripping. Deterministic for a given count and size.
//!
//! `cargo run --release --example gen_photos -- <out dir> [count=200] [width=4000] [height=3000]`

use rayon::prelude::*;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = std::path::PathBuf::from(args.first().map_or("bench/work/photos", String::as_str));
    let arg = |i: usize, default: u32| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (count, width, height) = (arg(1, 200), arg(2, 4000), arg(3, 3000));
    std::fs::create_dir_all(&out)?;
    let exif = bucketpress::images::testdata::exif(1, true);
    (0..count).into_par_iter().try_for_each(|i| {
        let path = out.join(format!("photo-{i:03}.jpg"));
        if path.exists() {
            return Ok(());
        }
        let pixels = bucketpress::images::testdata::photo(width, height, u64::from(i) + 1);
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
            .encode_image(&pixels)
            .map_err(std::io::Error::other)?;
        let mut bytes = jpeg[..2].to_vec();
        bytes.extend_from_slice(&exif);
        bytes.extend_from_slice(&jpeg[2..]);
        std::fs::write(path, bytes)
    })?;
    println!("{count} photos of {width}x{height} in {}", out.display());
    Ok(())
}
