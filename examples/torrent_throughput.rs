//! How fast big files are hashed for their torrents, and what the piece cache saves.
//! `cargo run --example torrent_throughput -- [size-in-MB]` (default 200): writes a file of
//! that size to a temporary site, times SHA-1 piece hashing alone (and BLAKE3, which every
//! asset gets anyway), then a cold build and a build that finds the pieces in the cache.

use std::io::Write;
use std::time::Instant;

use bucketpress::pipeline::{BuildOptions, Session};
use bucketpress::torrent::{hash_pieces, piece_count, piece_length};

fn main() {
    let mb: u64 = std::env::args()
        .nth(1)
        .map_or(200, |a| a.parse().expect("a size in MB"));
    let size = mb * 1_000_000;
    let site = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        site.path().join("site.toml"),
        "title = \"T\"\nbase_url = \"https://t.example/\"\n",
    )
    .expect("site.toml");
    std::fs::create_dir_all(site.path().join("static")).expect("static/");
    let path = site.path().join("static/video.bin");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    let block: Vec<u8> = (0..1_000_000u32).map(|i| (i * 31 % 251) as u8).collect();
    for i in 0..mb {
        file.write_all(&block[..(block.len() - (i % 7) as usize)])
            .expect("write");
    }
    drop(file);
    let size_on_disk = std::fs::metadata(&path).expect("metadata").len();
    let rate = |secs: f64| size_on_disk as f64 / 1e6 / secs;
    println!("file: {size_on_disk} bytes (asked for about {size})");

    let pl = piece_length(size_on_disk);
    let t = Instant::now();
    let (pieces, _) = hash_pieces(std::fs::File::open(&path).expect("open"), pl).expect("hash");
    let sha1 = t.elapsed().as_secs_f64();
    assert_eq!(pieces.len() as u64, piece_count(size_on_disk, pl) * 20);
    println!(
        "SHA-1 pieces ({} x {} KiB): {:.2} s, {:.0} MB/s",
        pieces.len() / 20,
        pl / 1024,
        sha1,
        rate(sha1)
    );

    let t = Instant::now();
    bucketpress::outputs::hash_file(&path).expect("blake3");
    let blake = t.elapsed().as_secs_f64();
    println!("BLAKE3 content hash: {blake:.2} s, {:.0} MB/s", rate(blake));

    for label in ["cold build (hashes)", "next build (piece cache)"] {
        let mut session = Session::new(site.path(), BuildOptions::default());
        session.persist_highlights();
        let t = Instant::now();
        let rendered = session.render().expect("site builds");
        assert!(rendered.outputs.contains("video.bin.torrent"));
        println!("{label}: {:.2} s", t.elapsed().as_secs_f64());
    }
}
