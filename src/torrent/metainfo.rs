//! BEP 3 metainfo for one file: piece length, streamed SHA-1 piece hashes, the bencoded
//! `.torrent` (with a BEP 19 web seed and an optional BEP 12 tracker list), the info-hash and
//! the magnet link. Everything here is pure apart from [`hash_pieces`], which reads.

use std::io::{self, Read};

use serde::Serialize;
use sha1::{Digest, Sha1};

/// The smallest piece length used: 16 KiB, the BitTorrent block size.
pub(crate) const MIN_PIECE_LENGTH: u64 = 16 * 1024;
/// The largest piece length used: 16 MiB; bigger pieces make clients re-fetch too much.
pub(crate) const MAX_PIECE_LENGTH: u64 = 16 * 1024 * 1024;
/// The most pieces a torrent aims for; fewer, larger pieces keep the `.torrent` small.
pub(crate) const TARGET_PIECES: u64 = 2048;
/// Bytes of one SHA-1 piece hash.
pub(crate) const PIECE_HASH_LEN: usize = 20;

/// The piece length for a file of `size` bytes: the smallest power of two that keeps the
/// number of pieces at or under `TARGET_PIECES`, clamped to 16 KiB ..= 16 MiB.
pub fn piece_length(size: u64) -> u64 {
    let wanted = size.div_ceil(TARGET_PIECES).max(1);
    wanted
        .checked_next_power_of_two()
        .unwrap_or(MAX_PIECE_LENGTH)
        .clamp(MIN_PIECE_LENGTH, MAX_PIECE_LENGTH)
}

/// How many pieces a file of `size` bytes has with pieces of `piece_length`.
pub fn piece_count(size: u64, piece_length: u64) -> u64 {
    size.div_ceil(piece_length)
}

/// Hashes `reader` piece by piece with a fixed buffer (never the whole file in memory) and
/// returns the concatenated SHA-1 digests, 20 bytes per piece, and the bytes read.
/// A `piece_length` of 0 is an `InvalidInput` error.
pub fn hash_pieces<R: Read>(mut reader: R, piece_length: u64) -> io::Result<(Vec<u8>, u64)> {
    if piece_length == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the piece length must be above 0",
        ));
    }
    let mut pieces = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut hasher = Sha1::new();
    let mut in_piece = 0u64;
    let mut total = 0u64;
    loop {
        let room = (piece_length - in_piece).min(buf.len() as u64) as usize;
        let n = match reader.read(&mut buf[..room]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        in_piece += n as u64;
        total += n as u64;
        if in_piece == piece_length {
            pieces.extend_from_slice(&hasher.finalize_reset());
            in_piece = 0;
        }
    }
    if in_piece > 0 {
        pieces.extend_from_slice(&hasher.finalize());
    }
    Ok((pieces, total))
}

/// The `info` dictionary of a single-file torrent. Field names are the bencoded keys;
/// serde_bencode writes dictionary keys sorted, as BEP 3 requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Info {
    /// The file's size in bytes.
    pub length: u64,
    /// The suggested file name (the last segment of the object key).
    pub name: String,
    /// Bytes per piece.
    #[serde(rename = "piece length")]
    pub piece_length: u64,
    /// The SHA-1 of every piece, concatenated.
    #[serde(with = "serde_bytes")]
    pub pieces: Vec<u8>,
}

/// A whole `.torrent`. There is deliberately no `creation date` and no `created by`: the
/// same file and settings must give the same bytes, so publishing never re-uploads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetaInfo {
    /// The first tracker, when any is configured (BEP 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub announce: Option<String>,
    /// Every tracker, one tier each (BEP 12), when any is configured.
    #[serde(rename = "announce-list", skip_serializing_if = "Vec::is_empty")]
    pub announce_list: Vec<Vec<String>>,
    /// The file description.
    pub info: Info,
    /// The web seeds (BEP 19): the file's public URL.
    #[serde(rename = "url-list")]
    pub url_list: Vec<String>,
}

impl MetaInfo {
    /// A torrent for `info`, web-seeded from `web_seed`, announcing to `trackers` (may be
    /// empty: clients then find peers through DHT and download from the web seed).
    pub fn new(info: Info, web_seed: String, trackers: &[String]) -> MetaInfo {
        MetaInfo {
            announce: trackers.first().cloned(),
            announce_list: if trackers.len() > 1 {
                trackers.iter().map(|t| vec![t.clone()]).collect()
            } else {
                Vec::new()
            },
            info,
            url_list: vec![web_seed],
        }
    }

    /// The bencoded `.torrent` file.
    pub fn encode(&self) -> Vec<u8> {
        serde_bencode::to_bytes(self).expect("a MetaInfo always bencodes")
    }

    /// The v1 info-hash: SHA-1 of the bencoded `info` dictionary.
    pub fn info_hash(&self) -> [u8; 20] {
        let info = serde_bencode::to_bytes(&self.info).expect("an Info always bencodes");
        Sha1::digest(&info).into()
    }

    /// `magnet:?xt=urn:btih:<hex>&dn=<name>&xl=<size>&ws=<web seed>` plus `&tr=` per tracker.
    pub fn magnet(&self) -> String {
        let mut link = format!(
            "magnet:?xt=urn:btih:{}&dn={}&xl={}",
            hex(&self.info_hash()),
            query_escape(&self.info.name),
            self.info.length
        );
        for seed in &self.url_list {
            link.push_str("&ws=");
            link.push_str(&query_escape(seed));
        }
        let trackers = self.announce_list.iter().flatten().chain(
            self.announce
                .iter()
                .filter(|_| self.announce_list.is_empty()),
        );
        for tracker in trackers {
            link.push_str("&tr=");
            link.push_str(&query_escape(tracker));
        }
        link
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Percent-encodes a magnet parameter value: everything but RFC 3986 unreserved characters.
fn query_escape(value: &str) -> String {
    const VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(value, VALUE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 253) as u8).collect()
    }

    #[test]
    fn piece_length_is_a_clamped_power_of_two() {
        assert_eq!(piece_length(0), MIN_PIECE_LENGTH);
        assert_eq!(piece_length(10 << 20), MIN_PIECE_LENGTH);
        assert_eq!(piece_length(200_000_000), 128 * 1024);
        assert_eq!(piece_length(1 << 30), 512 * 1024);
        assert_eq!(piece_length((1 << 30) + 1), 1 << 20);
        assert_eq!(piece_length(u64::MAX), MAX_PIECE_LENGTH);
        for size in [1u64, 12_345, 10 << 20, 3 << 30, 7_777_777_777] {
            let p = piece_length(size);
            assert!(p.is_power_of_two(), "{size}: {p}");
            assert!(
                p == MIN_PIECE_LENGTH || piece_count(size, p) > TARGET_PIECES / 2,
                "{size}: {p} gives too few pieces"
            );
            assert!(piece_count(size, p) <= TARGET_PIECES, "{size}: {p}");
        }
    }

    #[test]
    fn pieces_match_hashing_each_chunk_whole() {
        let data = sample(100_003);
        let (pieces, read) = hash_pieces(&data[..], 16_384).unwrap();
        assert_eq!(read, data.len() as u64);
        let expected: Vec<u8> = data
            .chunks(16_384)
            .flat_map(|c| <[u8; 20]>::from(Sha1::digest(c)))
            .collect();
        assert_eq!(pieces.len(), 7 * PIECE_HASH_LEN);
        assert_eq!(pieces, expected);
        let err = hash_pieces(&data[..], 0).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn pieces_do_not_depend_on_how_the_reader_splits_reads() {
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(self.0.len()).min(999);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let data = sample(50_000);
        assert_eq!(
            hash_pieces(Trickle(&data), 16_384).unwrap(),
            hash_pieces(&data[..], 16_384).unwrap()
        );
    }

    fn torrent(trackers: &[String]) -> MetaInfo {
        let data = sample(40_000);
        let (pieces, length) = hash_pieces(&data[..], 16_384).unwrap();
        let info = Info {
            length,
            name: "talk video.mp4".into(),
            piece_length: 16_384,
            pieces,
        };
        MetaInfo::new(
            info,
            "https://x.org/media/talk%20video.mp4".into(),
            trackers,
        )
    }

    #[test]
    fn encoding_is_stable_and_keys_are_sorted() {
        let bytes = torrent(&[]).encode();
        assert_eq!(bytes, torrent(&[]).encode());
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            text.starts_with(
                "d4:infod6:lengthi40000e4:name14:talk video.mp412:piece lengthi16384e6:pieces60:"
            ),
            "{text}"
        );
        assert!(
            text.ends_with("e8:url-listl36:https://x.org/media/talk%20video.mp4ee"),
            "{text}"
        );
        assert!(!text.contains("creation date") && !text.contains("announce"));
        let with = torrent(&[
            "udp://a.example:1/announce".into(),
            "https://b.example/a".into(),
        ]);
        let text = String::from_utf8_lossy(&with.encode()).into_owned();
        let (announce, list, info) = (
            text.find("8:announce").unwrap(),
            text.find("13:announce-list").unwrap(),
            text.find("4:info").unwrap(),
        );
        assert!(announce < list && list < info, "{text}");
    }

    #[test]
    fn info_hash_is_sha1_of_the_bencoded_info_inside_the_file() {
        let t = torrent(&[]);
        let bytes = t.encode();
        let start = b"d4:info".len();
        let info_len = serde_bencode::to_bytes(&t.info).unwrap().len();
        let digest: [u8; 20] = Sha1::digest(&bytes[start..start + info_len]).into();
        assert_eq!(t.info_hash(), digest);
    }

    #[test]
    fn magnet_carries_hash_name_size_seed_and_trackers() {
        let t = torrent(&["udp://t.example:6969/announce".into()]);
        assert_eq!(
            t.magnet(),
            format!(
                "magnet:?xt=urn:btih:{}&dn=talk%20video.mp4&xl=40000\
                 &ws=https%3A%2F%2Fx.org%2Fmedia%2Ftalk%2520video.mp4\
                 &tr=udp%3A%2F%2Ft.example%3A6969%2Fannounce",
                hex(&t.info_hash())
            )
        );
    }
}
