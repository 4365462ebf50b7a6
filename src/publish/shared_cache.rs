//! The highlight cache kept in the bucket (`[publish] highlight_cache_in_bucket = true`): a
//! publish from a fresh checkout, with no local cache (a CI job), downloads it before rendering
//! instead of highlighting every block again, and after a complete publish uploads the parts
//! that changed.
//!
//! Layout, under the publish prefix: `SHARDS` gzipped cache files
//! `.bucketpress/cache/highlight/NN.gz` (blocks split by the first byte of their key, so a
//! one-post edit changes a few small files), and `index.json` naming the bucketpress build
//! that wrote them and each shard's BLAKE3. Shards are written before the index; a shard whose
//! bytes do not match the index (a half-finished upload) is ignored, as is the whole cache when
//! another build wrote it (its HTML may differ from what this build would produce). The cache
//! holds only highlighted code of published pages; sites with private posts never upload it.
//! Whoever can write the bucket can already change the pages, and the cache is trusted as much.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use futures::StreamExt;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::target::{Target, TargetError};
use crate::sources_hash::BUILD_ID;

/// How many shards the cache is split into.
pub(crate) const SHARDS: usize = 64;

/// The index object, relative to the publish prefix.
pub(crate) const INDEX_KEY: &str = ".bucketpress/cache/highlight/index.json";

/// A shard's object key, relative to the publish prefix.
pub(crate) fn shard_key(i: usize) -> String {
    format!(".bucketpress/cache/highlight/{i:02}.gz")
}

/// What is stored: the build that wrote the shards and each shard's hash (BLAKE3 hex of the
/// gzipped bytes), by shard number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// `BUILD_ID` of the bucketpress that wrote the shards.
    pub build: String,
    /// Shard number → hash.
    pub shards: BTreeMap<usize, String>,
}

/// What the shared cache did in one publish (reported in `--json` as `highlight_cache`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CacheStats {
    /// Shards downloaded and accepted.
    pub downloaded_shards: usize,
    /// Highlighted blocks they held.
    pub downloaded_blocks: usize,
    /// Shards uploaded after the publish (only those that changed).
    pub uploaded_shards: usize,
}

/// The cache as found in the bucket.
#[derive(Debug, Default)]
pub struct Downloaded {
    /// The index read, if any (the next upload sends only shards that differ from it).
    pub index: Option<Index>,
    /// The accepted shards, decompressed (cache files for `Highlighter::load_bytes`).
    pub shards: Vec<Vec<u8>>,
}

/// Downloads the shared cache from `target`, `concurrency` shards at a time. Never fails: a
/// missing, foreign or damaged cache only means more highlighting.
pub async fn download<T: Target>(target: &T, concurrency: usize) -> Downloaded {
    let index = match target.read_reserved(INDEX_KEY).await {
        Ok(Some(bytes)) => match serde_json::from_slice::<Index>(&bytes) {
            Ok(index) => index,
            Err(e) => {
                tracing::warn!("ignoring the shared highlight cache: unreadable index ({e})");
                return Downloaded::default();
            }
        },
        Ok(None) => return Downloaded::default(),
        Err(e) => {
            tracing::warn!("cannot read the shared highlight cache: {e}");
            return Downloaded::default();
        }
    };
    if index.build != BUILD_ID {
        tracing::info!(
            "the shared highlight cache was written by bucketpress {}, not {BUILD_ID}: ignored",
            index.build
        );
        return Downloaded {
            index: Some(index),
            shards: Vec::new(),
        };
    }
    let fetches = index.shards.iter().map(|(&i, hash)| async move {
        match target.read_reserved(&shard_key(i)).await {
            Ok(Some(gz)) if blake3::hash(&gz).to_hex().as_str() == hash => gunzip(&gz),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!("cannot read highlight cache shard {i}: {e}");
                None
            }
        }
    });
    let shards: Vec<Vec<u8>> = futures::stream::iter(fetches)
        .buffer_unordered(concurrency.max(1))
        .filter_map(|shard| async move { shard })
        .collect()
        .await;
    Downloaded {
        index: Some(index),
        shards,
    }
}

/// Uploads the shards of `encoded` ((shard number, cache file) for every shard holding a
/// block) that differ from `previous`, then the index. Returns how many shards were sent.
pub async fn upload<T: Target>(
    target: &T,
    encoded: Vec<(usize, Vec<u8>)>,
    previous: Option<&Index>,
    concurrency: usize,
) -> Result<usize, TargetError> {
    let compressed: Vec<(usize, Vec<u8>)> =
        encoded.par_iter().map(|(i, raw)| (*i, gzip(raw))).collect();
    let index = Index {
        build: BUILD_ID.to_string(),
        shards: compressed
            .iter()
            .map(|(i, gz)| (*i, blake3::hash(gz).to_hex().to_string()))
            .collect(),
    };
    if previous == Some(&index) {
        return Ok(0);
    }
    let changed: Vec<(usize, Vec<u8>)> = compressed
        .into_iter()
        .filter(|(i, _)| {
            previous
                .is_none_or(|p| p.build != index.build || p.shards.get(i) != index.shards.get(i))
        })
        .collect();
    let sent = changed.len();
    let puts = changed
        .into_iter()
        .map(|(i, gz)| async move { target.write_reserved(&shard_key(i), gz).await });
    let results: Vec<Result<(), TargetError>> = futures::stream::iter(puts)
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    results.into_iter().collect::<Result<(), _>>()?;
    let json = serde_json::to_vec(&index).expect("an index always serializes");
    target.write_reserved(INDEX_KEY, json).await?;
    Ok(sent)
}

fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(raw).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

/// At most this much decompressed per shard (a guard against decompression bombs).
const MAX_SHARD: u64 = 256 << 20;

fn gunzip(gz: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .take(MAX_SHARD)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::dir::DirTarget;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    }

    fn numbered_shards() -> Vec<(usize, Vec<u8>)> {
        (0..SHARDS)
            .map(|i| (i, format!("shard {i}").into()))
            .collect()
    }

    #[test]
    fn shards_round_trip_and_only_changed_ones_are_sent_again() {
        let dir = tempfile::tempdir().unwrap();
        let target = DirTarget::new(dir.path());
        let rt = runtime();
        let shards = numbered_shards();
        assert_eq!(
            rt.block_on(upload(&target, shards.clone(), None, 4))
                .unwrap(),
            SHARDS
        );

        let got = rt.block_on(download(&target, 4));
        let mut expected: Vec<Vec<u8>> = shards.iter().map(|(_, s)| s.clone()).collect();
        let mut found = got.shards.clone();
        expected.sort();
        found.sort();
        assert_eq!(found, expected);

        let mut edited = shards.clone();
        edited[3].1 = b"shard 3, edited".to_vec();
        let sent = rt.block_on(upload(&target, edited.clone(), got.index.as_ref(), 4));
        assert_eq!(sent.unwrap(), 1);
        let again = rt.block_on(download(&target, 4));
        assert!(again.shards.contains(&edited[3].1));
        let unchanged = rt.block_on(upload(&target, edited, again.index.as_ref(), 4));
        assert_eq!(unchanged.unwrap(), 0);
    }

    #[test]
    fn a_damaged_shard_or_a_foreign_build_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let target = DirTarget::new(dir.path());
        let rt = runtime();
        rt.block_on(upload(&target, numbered_shards(), None, 4))
            .unwrap();
        std::fs::write(dir.path().join(shard_key(5)), b"not what the index says").unwrap();
        let got = rt.block_on(download(&target, 4));
        assert_eq!(got.shards.len(), SHARDS - 1);
        assert!(!got.shards.contains(&b"shard 5".to_vec()));

        let mut index = got.index.unwrap();
        index.build = "bucketpress 0.0.0-other".into();
        std::fs::write(
            dir.path().join(INDEX_KEY),
            serde_json::to_vec(&index).unwrap(),
        )
        .unwrap();
        let foreign = rt.block_on(download(&target, 4));
        assert!(foreign.shards.is_empty());
        assert!(foreign.index.is_some());
    }
}
