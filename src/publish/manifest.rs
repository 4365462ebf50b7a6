//! The remote manifest: what the last publish put in the bucket, key by key, stored as gzipped
//! JSON at `<prefix>.bucketpress/manifest.json`. `encode`/`decode` are pure.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::outputs::{Output, Outputs};

/// Where the manifest lives, relative to the publish prefix.
pub const MANIFEST_KEY: &str = ".bucketpress/manifest.json";

/// The prefix (relative to the publish prefix) reserved for bucketpress's own objects; never
/// uploaded to or deleted as site content.
pub(crate) const RESERVED_PREFIX: &str = ".bucketpress/";

/// The hash recorded for a key whose stored content is not known (a concurrent publish may
/// have overwritten it): it matches no output, so the next publish uploads the key again.
pub const UNKNOWN_HASH: &str = "unknown";

/// The manifest format this version writes and reads.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// A decoded manifest larger than this is refused (a guard against decompression bombs).
const MAX_DECODED: u64 = 512 << 20;

/// What was stored under one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// BLAKE3 hex of the stored bytes.
    pub hash: String,
    /// Stored size in bytes.
    pub size: u64,
    /// `Content-Type` sent.
    pub content_type: String,
    /// `Content-Encoding` sent, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    /// `Cache-Control` sent, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// Website redirect location sent, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect: Option<String>,
}

impl Entry {
    /// The entry an output will have once uploaded.
    pub fn of(output: &Output) -> Entry {
        Entry {
            hash: output.hash.clone(),
            size: output.body.len(),
            content_type: output.content_type.clone(),
            content_encoding: output.content_encoding.clone(),
            cache_control: output.cache_control.clone(),
            redirect: output.redirect.clone(),
        }
    }
}

pub use crate::sources_hash::SourcesRecord;

/// Every key a publish manages, with what it stored there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The format version (`FORMAT_VERSION`).
    pub version: u32,
    /// The id of the site that owns these keys (`new_site_id`), also written on every object
    /// it uploads (`x-amz-meta-bucketpress-site`), so `--verify` tells its own objects from
    /// another site's in the same bucket. Absent in manifests of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_id: Option<String>,
    /// The sources every entry was rendered from, when one complete publish wrote them all;
    /// absent after a partial or contested publish, and for sites with private documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<SourcesRecord>,
    /// Key (relative to the prefix) → entry, sorted.
    pub entries: BTreeMap<String, Entry>,
    /// Keys a publish decided to delete, recorded in the manifest written before the deletes:
    /// if that publish dies before they are done, the next one finishes them. Empty once they
    /// are deleted.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub pending_deletes: BTreeSet<String>,
    /// Keys a publish is uploading in parts, recorded (in a manifest write before their
    /// multipart uploads start) so that the next publish aborts what a killed one left
    /// unfinished. Empty once those uploads completed.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub pending_multipart: BTreeSet<String>,
    /// The id of a rollback under way: recorded (with the keys it restores marked
    /// [`UNKNOWN_HASH`]) before its first copy, cleared by its last manifest write. A rollback
    /// finding it here resumes that one; a publish re-uploads the marked keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_rollback: Option<String>,
}

impl Manifest {
    /// True when an interrupted publish left work recorded here (deletes to send, multipart
    /// uploads to abort): the next publish must not take the manifest as up to date.
    pub fn has_pending_work(&self) -> bool {
        !self.pending_deletes.is_empty()
            || !self.pending_multipart.is_empty()
            || self.pending_rollback.is_some()
    }
}

/// A fresh site id: 128 random bits in hex. Only uniqueness matters (it is not a secret).
pub(crate) fn new_site_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness: the time and process id still make a collision unlikely.
        let seed = format!(
            "{:?} {} {:?}",
            std::time::SystemTime::now(),
            std::process::id(),
            std::thread::current().id()
        );
        bytes.copy_from_slice(&blake3::hash(seed.as_bytes()).as_bytes()[..16]);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Default for Manifest {
    fn default() -> Manifest {
        Manifest {
            version: FORMAT_VERSION,
            site_id: None,
            sources: None,
            entries: BTreeMap::new(),
            pending_deletes: BTreeSet::new(),
            pending_multipart: BTreeSet::new(),
            pending_rollback: None,
        }
    }
}

/// Why stored manifest bytes could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The gzip stream is broken or truncated.
    #[error("the manifest is not valid gzip: {0}")]
    Gzip(String),
    /// The JSON does not have the manifest's shape.
    #[error("the manifest is not valid JSON: {0}")]
    Json(String),
    /// A newer bucketpress wrote it.
    #[error(
        "the manifest has format version {0}, this bucketpress reads version {FORMAT_VERSION}; upgrade bucketpress"
    )]
    UnsupportedVersion(u32),
    /// It decompresses to more than the size limit.
    #[error("the manifest decompresses to more than {} MiB", MAX_DECODED >> 20)]
    TooLarge,
}

impl Manifest {
    /// An empty manifest.
    pub fn new() -> Manifest {
        Manifest::default()
    }

    /// The manifest describing `outputs` as uploaded.
    pub fn from_outputs(outputs: &Outputs) -> Manifest {
        Manifest {
            entries: outputs
                .iter()
                .map(|o| (o.key.clone(), Entry::of(o)))
                .collect(),
            ..Manifest::default()
        }
    }

    /// Gzipped JSON, deterministic (same manifest, same bytes).
    pub fn encode(&self) -> Vec<u8> {
        let json = serde_json::to_vec(self).expect("a manifest always serializes");
        super::headers::gzip(&json)
    }

    /// Reads gzipped JSON (plain JSON is accepted too, for a manifest a store decompressed on
    /// the way). Never panics, whatever the bytes.
    pub fn decode(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let json = if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(bytes)
                .take(MAX_DECODED + 1)
                .read_to_end(&mut out)
                .map_err(|e| ManifestError::Gzip(e.to_string()))?;
            if out.len() as u64 > MAX_DECODED {
                return Err(ManifestError::TooLarge);
            }
            out
        } else {
            bytes.to_vec()
        };
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
        }
        let v: Versioned =
            serde_json::from_slice(&json).map_err(|e| ManifestError::Json(e.to_string()))?;
        if v.version != FORMAT_VERSION {
            return Err(ManifestError::UnsupportedVersion(v.version));
        }
        serde_json::from_slice(&json).map_err(|e| ManifestError::Json(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::OutputKind;

    fn sample() -> Manifest {
        let mut o = Output::from_bytes("old/index.html", b"<p>".to_vec(), OutputKind::Redirect);
        o.redirect = Some("/new/".into());
        o.cache_control = Some("public, max-age=300".into());
        let outputs: Outputs = [
            o,
            Output::from_bytes("a.css", b"body{}".to_vec(), OutputKind::Asset),
        ]
        .into_iter()
        .collect();
        Manifest::from_outputs(&outputs)
    }

    #[test]
    fn round_trip_and_deterministic() {
        let m = sample();
        let bytes = m.encode();
        assert_eq!(bytes[..2], [0x1f, 0x8b]);
        assert_eq!(bytes, sample().encode());
        assert_eq!(Manifest::decode(&bytes).unwrap(), m);
        let e = &m.entries["old/index.html"];
        assert_eq!(e.redirect.as_deref(), Some("/new/"));
        assert_eq!(e.size, 3);
    }

    #[test]
    fn site_ids_and_pending_deletes_round_trip_and_old_manifests_still_read() {
        let mut m = sample();
        m.site_id = Some(new_site_id());
        m.pending_deletes.insert("gone/index.html".into());
        assert_eq!(Manifest::decode(&m.encode()).unwrap(), m);
        let id = m.site_id.clone().unwrap();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(Some(new_site_id()), m.site_id);
        // A manifest written before these fields existed.
        let old = Manifest::decode(br#"{"version":1,"entries":{}}"#).unwrap();
        assert_eq!(old.site_id, None);
        assert!(old.pending_deletes.is_empty());
        // An empty pending list is not written (same bytes as before for such manifests).
        let json = String::from_utf8(serde_json::to_vec(&sample()).unwrap()).unwrap();
        assert!(
            !json.contains("pending") && !json.contains("site_id"),
            "{json}"
        );
    }

    #[test]
    fn plain_json_is_accepted() {
        let m = sample();
        let json = serde_json::to_vec(&m).unwrap();
        assert_eq!(Manifest::decode(&json).unwrap(), m);
    }

    #[test]
    fn garbage_gives_typed_errors() {
        assert!(matches!(Manifest::decode(b""), Err(ManifestError::Json(_))));
        assert!(matches!(
            Manifest::decode(b"<html>nope"),
            Err(ManifestError::Json(_))
        ));
        let enc = sample().encode();
        assert!(matches!(
            Manifest::decode(&enc[..enc.len() / 2]),
            Err(ManifestError::Gzip(_))
        ));
        assert!(matches!(
            Manifest::decode(br#"{"version":99,"entries":{}}"#),
            Err(ManifestError::UnsupportedVersion(99))
        ));
        assert!(matches!(
            Manifest::decode(br#"{"version":1,"entries":[1]}"#),
            Err(ManifestError::Json(_))
        ));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic fuzz: every prefix and many bit flips of a valid encoding.
        let enc = sample().encode();
        for n in 0..enc.len() {
            let _ = Manifest::decode(&enc[..n]);
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut b = enc.clone();
            let i = (state as usize) % b.len();
            b[i] ^= (state >> 32) as u8 | 1;
            let _ = Manifest::decode(&b);
        }
    }
}
