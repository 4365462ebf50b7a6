//! One deploy as recorded in the bucket: who, when, what it changed, and what each changed key
//! held before (pure: build, encode, decode).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::publish::manifest::Entry;

/// What made a deploy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Kind {
    /// A `publish`.
    Publish,
    /// A `rollback` to the site as it was before deploy `to`.
    Rollback {
        /// The deploy whose before-state was restored.
        to: String,
    },
}

/// How far a deploy got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Recorded before its first write to the site; still so if it was killed.
    Started,
    /// Every step landed.
    Done,
    /// Some steps failed (what landed is in the manifest).
    Failed,
    /// Another publish changed the site first (exit 4).
    Conflict,
}

/// One key a deploy changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// What the key held before, per the manifest (`None`: the key was new). Its bytes and
    /// headers are kept in the deploy's history (`kept_key`).
    pub before: Option<Entry>,
    /// True when the deploy deleted the key (else it wrote it).
    pub deleted: bool,
}

/// A deploy record, stored at `record_key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deploy {
    /// Sortable id: `20261207T130509123Z-1a2b` (UTC time, then 16 random bits).
    pub id: String,
    /// When it started (RFC 3339, UTC).
    pub time: String,
    /// Publish or rollback.
    #[serde(flatten)]
    pub kind: Kind,
    /// How far it got.
    pub status: Status,
    /// The git commit of the site's sources, when they are a repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// That commit's subject line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Objects written.
    pub uploaded: usize,
    /// Objects deleted.
    pub deleted: usize,
    /// Keys left as they were.
    pub unchanged: usize,
    /// Every key it changed or deleted, with what it held before.
    pub changes: BTreeMap<String, Change>,
}

/// A new deploy id for `now`.
pub(crate) fn new_id(now: chrono::DateTime<chrono::Utc>) -> String {
    let mut random = [0u8; 2];
    if getrandom::fill(&mut random).is_err() {
        random = (std::process::id() as u16).to_be_bytes();
    }
    format!(
        "{}-{:02x}{:02x}",
        now.format("%Y%m%dT%H%M%S%3fZ"),
        random[0],
        random[1]
    )
}

/// True for strings shaped like `new_id`'s (they become object keys).
pub fn is_id(id: &str) -> bool {
    id.len() == 24
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'T' | b'Z' | b'-' | b'a'..=b'f'))
}

impl Deploy {
    /// A deploy starting `now`, of `kind`, changing nothing yet.
    pub fn start(kind: Kind, now: chrono::DateTime<chrono::Utc>) -> Deploy {
        Deploy {
            id: new_id(now),
            time: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            kind,
            status: Status::Started,
            commit: None,
            message: None,
            uploaded: 0,
            deleted: 0,
            unchanged: 0,
            changes: BTreeMap::new(),
        }
    }

    /// Keys it wrote.
    pub fn written(&self) -> impl Iterator<Item = &str> {
        self.changes
            .iter()
            .filter(|(_, c)| !c.deleted)
            .map(|(k, _)| k.as_str())
    }

    /// Keys it deleted.
    pub fn removed(&self) -> impl Iterator<Item = &str> {
        self.changes
            .iter()
            .filter(|(_, c)| c.deleted)
            .map(|(k, _)| k.as_str())
    }

    /// Gzipped JSON.
    pub fn encode(&self) -> Vec<u8> {
        let json = serde_json::to_vec(self).expect("a deploy record always serializes");
        crate::publish::headers::gzip(&json)
    }

    /// Reads [`Deploy::encode`]'s bytes; `what` names the object in the error.
    pub fn decode(bytes: &[u8], what: &str) -> Result<Deploy, String> {
        let mut json = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(flate2::read::MultiGzDecoder::new(bytes), 1 << 30),
            &mut json,
        )
        .map_err(|e| format!("{what}: not gzip: {e}"))?;
        serde_json::from_slice(&json).map_err(|e| format!("{what}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_records_round_trip() {
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-12-07T13:05:09.5Z")
            .unwrap()
            .to_utc();
        let a = new_id(t0);
        let b = new_id(t0 + chrono::Duration::milliseconds(1));
        assert!(a < b, "{a} {b}");
        assert!(a.starts_with("20261207T130509500Z-"), "{a}");
        assert!(is_id(&a) && is_id(&b));
        assert!(!is_id("../../x") && !is_id(""));
        let mut d = Deploy::start(Kind::Rollback { to: a.clone() }, t0);
        d.changes.insert(
            "a.html".into(),
            Change {
                before: None,
                deleted: false,
            },
        );
        d.changes.insert(
            "b.html".into(),
            Change {
                before: Some(Entry {
                    hash: "h".into(),
                    size: 1,
                    content_type: "text/html".into(),
                    content_encoding: None,
                    cache_control: None,
                    redirect: None,
                }),
                deleted: true,
            },
        );
        let back = Deploy::decode(&d.encode(), "x").unwrap();
        assert_eq!(back, d);
        assert_eq!(back.written().collect::<Vec<_>>(), ["a.html"]);
        assert_eq!(back.removed().collect::<Vec<_>>(), ["b.html"]);
        assert!(
            Deploy::decode(b"nope", "deploys/x.json")
                .unwrap_err()
                .contains("deploys/x.json")
        );
    }
}
