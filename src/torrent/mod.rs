//! Big static files get a `.torrent` beside them: `<key>.torrent` (BEP 3, SHA-1 pieces) whose
//! web seed (BEP 19 `url-list`) is the file's public URL, plus a magnet link. Templates see
//! every such file in the `torrents` global, keyed by object key.
//!
//! The torrent is deterministic (no dates, no version, sorted keys): the same file and
//! settings give the same bytes, so `publish` never uploads it twice.

mod cache;
mod metainfo;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use bytesize::ByteSize;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use cache::{PieceCache, TORRENT_CACHE};
pub use metainfo::{Info, MetaInfo, hash_pieces, hex, piece_count, piece_length};

use crate::content::SourceAsset;
use crate::error::{Diagnostic, Problem};
use crate::outputs::{Body, Output, OutputKind};

/// The media type of a `.torrent` file.
pub(crate) const TORRENT_CONTENT_TYPE: &str = "application/x-bittorrent";

/// The `[torrents]` section of `site.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct TorrentConfig {
    /// Make torrents at all (default: yes).
    pub enabled: bool,
    /// Files of this size or more get a torrent: bytes, or text such as `"10MiB"`, `"250 MB"`.
    pub threshold: ByteSize,
    /// Trackers for `announce` / `announce-list`; empty (the default) means web seed + DHT.
    pub trackers: Vec<String>,
}

impl Default for TorrentConfig {
    fn default() -> TorrentConfig {
        TorrentConfig {
            enabled: true,
            threshold: ByteSize::mib(10),
            trackers: Vec::new(),
        }
    }
}

impl TorrentConfig {
    /// The first setting that is out of range: (key, what is expected, what was found).
    pub fn problem(&self) -> Option<(&'static str, &'static str, String)> {
        if self.threshold.as_u64() == 0 {
            return Some(("threshold", "a size above 0 such as \"10MiB\"", "0".into()));
        }
        let schemes = ["http://", "https://", "udp://", "ws://", "wss://"];
        self.trackers
            .iter()
            .find(|t| !schemes.iter().any(|s| t.starts_with(s)) || t.contains(char::is_whitespace))
            .map(|t| {
                let expected =
                    "tracker URLs starting with http://, https://, udp://, ws:// or wss://";
                ("trackers", expected, t.clone())
            })
    }

    /// True when a file of `size` bytes gets a torrent.
    pub(crate) fn wants(&self, size: u64) -> bool {
        self.enabled && size >= self.threshold.as_u64()
    }
}

/// What a template gets for one big file (`torrents["media/talk.mp4"]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct TorrentLinks {
    /// The file name (the torrent's `name`).
    pub name: String,
    /// The link to the file itself, under the site's base path.
    pub url: String,
    /// The file's absolute URL: the torrent's web seed.
    pub permalink: String,
    /// The link to the `.torrent`, under the site's base path.
    pub torrent_url: String,
    /// The magnet link.
    pub magnet: String,
    /// The file's size in bytes.
    pub size: u64,
    /// The size for people, e.g. `210.0 MiB`.
    pub size_display: String,
    /// The v1 info-hash, lowercase hex.
    pub info_hash: String,
}

/// The torrents of a site: the template view and the `.torrent` outputs.
#[derive(Debug, Default)]
pub(crate) struct Torrents {
    /// By the big file's object key.
    pub links: BTreeMap<String, TorrentLinks>,
    /// One `<key>.torrent` asset per big file.
    pub outputs: Vec<Output>,
}

/// What making torrents reads from site.toml: `[torrents]` and the base URL (web seeds and
/// links are absolute).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seeding<'a> {
    /// `[torrents]`.
    pub settings: &'a TorrentConfig,
    /// The site's `base_url`, as written.
    pub base_url: &'a str,
}

impl Seeding<'_> {
    fn href(&self, path: &str) -> String {
        crate::content::url::href(self.base_url, path)
    }

    fn permalink(&self, path: &str) -> String {
        crate::content::url::permalink(self.base_url, path)
    }
}

/// The object key of the torrent for the file at `key`.
pub(crate) fn torrent_key(key: &str) -> String {
    format!("{key}.torrent")
}

/// Makes a torrent for every asset at or above the threshold, in parallel. `assets` pairs each
/// source file with its loaded output; pieces come from `cache` when the content is known.
pub(crate) fn make_torrents(
    config: &Seeding<'_>,
    assets: &[(&SourceAsset, &Output)],
    cache: &PieceCache,
) -> Result<Torrents, Vec<Diagnostic>> {
    let settings = config.settings;
    let results: Vec<Result<(String, TorrentLinks, Output), Diagnostic>> = assets
        .par_iter()
        .filter(|(_, output)| settings.wants(output.body.len()))
        .map(|(source, output)| {
            let meta = metainfo_for(config, output, cache).map_err(|e| {
                let problem = Problem::Io(format!("cannot hash for its torrent: {e}"));
                Diagnostic::new(Path::new(&source.rel_path), None, problem)
            })?;
            let (links, torrent) = torrent_output(config, &output.key, &meta);
            Ok((output.key.clone(), links, torrent))
        })
        .collect();
    let mut torrents = Torrents::default();
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok((key, links, output)) => {
                torrents.links.insert(key, links);
                torrents.outputs.push(output);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(torrents)
    } else {
        Err(errors)
    }
}

/// The metainfo of one asset, hashing its body unless the cache knows its pieces.
fn metainfo_for(
    config: &Seeding<'_>,
    output: &Output,
    cache: &PieceCache,
) -> std::io::Result<MetaInfo> {
    let size = output.body.len();
    let piece_len = piece_length(size);
    let pieces = match cache.get(&output.hash, piece_len, piece_count(size, piece_len)) {
        Some(pieces) => pieces,
        None => {
            let (pieces, read) = match &output.body {
                Body::Bytes(bytes) => hash_pieces(&bytes[..], piece_len)?,
                Body::File { path, .. } => hash_pieces(std::fs::File::open(path)?, piece_len)?,
                Body::Dropped { .. } => return Err(Body::dropped_error()),
            };
            if read != size {
                return Err(std::io::Error::other(format!(
                    "the file changed while it was read ({size} bytes expected, {read} read)"
                )));
            }
            let pieces: Arc<[u8]> = pieces.into();
            cache.put(&output.hash, piece_len, Arc::clone(&pieces));
            pieces
        }
    };
    let name = output
        .key
        .rsplit('/')
        .next()
        .unwrap_or(&output.key)
        .to_string();
    let info = Info {
        length: size,
        name,
        piece_length: piece_len,
        pieces: pieces.to_vec(),
    };
    let web_seed = config.permalink(&encode_key(&output.key));
    Ok(MetaInfo::new(info, web_seed, &config.settings.trackers))
}

fn torrent_output(config: &Seeding<'_>, key: &str, meta: &MetaInfo) -> (TorrentLinks, Output) {
    let torrent_key = torrent_key(key);
    let links = TorrentLinks {
        name: meta.info.name.clone(),
        url: config.href(&encode_key(key)),
        permalink: meta.url_list[0].clone(),
        torrent_url: config.href(&encode_key(&torrent_key)),
        magnet: meta.magnet(),
        size: meta.info.length,
        size_display: ByteSize(meta.info.length).display().iec().to_string(),
        info_hash: hex(&meta.info_hash()),
    };
    let mut output = Output::from_bytes(torrent_key, meta.encode(), OutputKind::Asset);
    output.content_type = TORRENT_CONTENT_TYPE.to_string();
    (links, output)
}

/// An object key as a URL path: each segment percent-encoded (spaces, `#`, `?`, non-ASCII).
pub(crate) fn encode_key(key: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'!')
        .remove(b'$')
        .remove(b'&')
        .remove(b'\'')
        .remove(b'(')
        .remove(b')')
        .remove(b'*')
        .remove(b'+')
        .remove(b',')
        .remove(b';')
        .remove(b'=')
        .remove(b':')
        .remove(b'@');
    key.split('/')
        .map(|s| percent_encoding::utf8_percent_encode(s, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn asset(key: &str, bytes: Vec<u8>) -> (SourceAsset, Output) {
        let source = SourceAsset {
            path: format!("/site/static/{key}").into(),
            rel_path: format!("static/{key}"),
            key: key.into(),
        };
        (source, Output::from_bytes(key, bytes, OutputKind::Asset))
    }

    fn config(threshold: u64) -> Config {
        let mut config = Config::default_for_test();
        config.torrents.threshold = ByteSize(threshold);
        config
    }

    #[test]
    fn only_files_at_or_above_the_threshold_get_torrents() {
        let big = asset("media/big talk.mp4", vec![3u8; 50_000]);
        let edge = asset("edge.bin", vec![1u8; 1000]);
        let small = asset("small.txt", vec![2u8; 999]);
        let all = [(&big.0, &big.1), (&edge.0, &edge.1), (&small.0, &small.1)];
        let torrents =
            make_torrents(&config(1000).seeding(), &all, &PieceCache::in_memory()).unwrap();
        let keys: Vec<&str> = torrents.outputs.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, ["media/big talk.mp4.torrent", "edge.bin.torrent"]);
        assert!(
            torrents
                .outputs
                .iter()
                .all(|o| o.content_type == TORRENT_CONTENT_TYPE)
        );
        let links = &torrents.links["media/big talk.mp4"];
        assert_eq!(links.url, "/media/big%20talk.mp4");
        assert_eq!(links.torrent_url, "/media/big%20talk.mp4.torrent");
        assert_eq!(
            links.permalink,
            "https://blog.example.com/media/big%20talk.mp4"
        );
        assert_eq!(links.size, 50_000);
        assert!(
            links
                .magnet
                .starts_with(&format!("magnet:?xt=urn:btih:{}&", links.info_hash))
        );

        let mut off = config(1000);
        off.torrents.enabled = false;
        let none = make_torrents(&off.seeding(), &all, &PieceCache::in_memory()).unwrap();
        assert!(none.outputs.is_empty() && none.links.is_empty());
    }

    #[test]
    fn two_builds_give_identical_bytes_and_the_cache_changes_nothing() {
        let big = asset("v.bin", (0..70_001u32).map(|i| (i % 241) as u8).collect());
        let all = [(&big.0, &big.1)];
        let cache = PieceCache::in_memory();
        let first = make_torrents(&config(1).seeding(), &all, &cache).unwrap();
        let cached = make_torrents(&config(1).seeding(), &all, &cache).unwrap();
        let cold = make_torrents(&config(1).seeding(), &all, &PieceCache::in_memory()).unwrap();
        assert_eq!(first.outputs[0].hash, cached.outputs[0].hash);
        assert_eq!(first.outputs[0].hash, cold.outputs[0].hash);
        assert_eq!(first.links, cold.links);
    }

    #[test]
    fn keys_are_encoded_segment_by_segment() {
        assert_eq!(encode_key("a b/c#d?.mp4"), "a%20b/c%23d%3F.mp4");
        assert_eq!(encode_key("vidéo/x+y.mp4"), "vid%C3%A9o/x+y.mp4");
    }

    #[test]
    fn threshold_reads_units_or_bytes() {
        let parse = |t: &str| {
            let text = format!("[torrents]\nthreshold = {t}\n");
            Config::parse(Path::new("site.toml"), &text).map(|l| l.config.torrents.threshold)
        };
        assert_eq!(Config::default().torrents.threshold.as_u64(), 10 << 20);
        assert_eq!(parse("\"10MiB\"").unwrap().as_u64(), 10 << 20);
        assert_eq!(parse("\"250 MB\"").unwrap().as_u64(), 250_000_000);
        assert_eq!(parse("65536").unwrap().as_u64(), 65_536);
        let err = parse("0").unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");
        let err = parse("\"big\"").unwrap_err();
        assert!(matches!(err.problem, Problem::Syntax { .. }), "{err}");
        assert_eq!(err.line, Some(2), "{err}");
    }

    #[test]
    fn trackers_must_be_urls() {
        let mut c = TorrentConfig::default();
        assert!(c.problem().is_none());
        c.trackers = vec!["udp://t.example:1337/announce".into(), "t.example".into()];
        assert_eq!(c.problem().map(|p| p.2), Some("t.example".to_string()));
    }
}
