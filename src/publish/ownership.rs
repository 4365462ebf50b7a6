//! Which stored objects belong to this site (pure): `--verify` rebuilds its baseline from a
//! listing of the bucket, and must never take another site's objects for its own leftovers.
//!
//! Another bucketpress site may live in the same bucket: under a sub-prefix of ours (site A
//! at the root, site B at `blog/`), or written before site ids existed. Every object carries
//! the id of the site that wrote it; an object is ours to delete only when it carries our id,
//! or our manifest lists it (objects from before site ids). A subtree holding its own
//! `.bucketpress/manifest.json` is another site's, whatever its objects say.

use super::manifest::{MANIFEST_KEY, Manifest, RESERVED_PREFIX};
use super::target::Listing;
use crate::outputs::Outputs;

/// The sub-prefixes (relative to ours, ending in `/`) that hold another site's manifest,
/// among `keys` (relative to our prefix): `blog/.bucketpress/manifest.json` → `blog/`. Our own
/// manifest (at the top) is not one.
pub(crate) fn foreign_roots<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let suffix = format!("/{MANIFEST_KEY}");
    let mut roots: Vec<String> = keys
        .into_iter()
        .filter_map(|k| k.strip_suffix(&suffix))
        .filter(|root| !root.is_empty())
        .map(|root| format!("{root}/"))
        .collect();
    roots.sort();
    roots.dedup();
    roots
}

/// True when `key` (relative to our prefix) is bucketpress state or inside one of `roots`.
pub(crate) fn is_foreign_or_reserved(key: &str, roots: &[String]) -> bool {
    key.starts_with(RESERVED_PREFIX) || roots.iter().any(|r| key.starts_with(r.as_str()))
}

/// The baseline a `--verify` publish diffs `outputs` against: the listed objects that are
/// ours. An object the site still produces is kept whoever wrote it (it is compared, and
/// uploaded over if it differs); one it no longer produces is kept, and so deleted, only if it
/// carries `site_id` or the `stored` manifest lists it (or its pending deletes do).
pub(crate) fn verified_baseline(
    listing: Listing,
    site_id: &str,
    stored: Option<&Manifest>,
    outputs: &Outputs,
) -> Manifest {
    let listed_by_us = |key: &str| {
        stored.is_some_and(|m| m.entries.contains_key(key) || m.pending_deletes.contains(key))
    };
    let mut baseline = Manifest::new();
    baseline.entries = listing
        .objects
        .into_iter()
        .filter(|(key, listed)| {
            outputs.contains(key) || listed.site_id.as_deref() == Some(site_id) || listed_by_us(key)
        })
        .map(|(key, listed)| (key, listed.entry))
        .collect();
    baseline
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::{Output, OutputKind};
    use crate::publish::manifest::Entry;
    use crate::publish::target::Listed;

    fn listed(site: Option<&str>) -> Listed {
        Listed {
            entry: Entry {
                hash: "h".into(),
                size: 1,
                content_type: "text/html".into(),
                content_encoding: None,
                cache_control: None,
                redirect: None,
            },
            site_id: site.map(str::to_owned),
        }
    }

    #[test]
    fn nested_manifests_mark_foreign_subtrees() {
        let keys = [
            ".bucketpress/manifest.json",
            "index.html",
            "blog/.bucketpress/manifest.json",
            "blog/index.html",
            "a/b/.bucketpress/manifest.json",
            "notes/.bucketpress-manifest.json",
        ];
        let roots = foreign_roots(keys);
        assert_eq!(roots, ["a/b/", "blog/"]);
        assert!(is_foreign_or_reserved("blog/index.html", &roots));
        assert!(is_foreign_or_reserved(".bucketpress/cache/x", &roots));
        assert!(!is_foreign_or_reserved("blogroll/index.html", &roots));
        assert!(!is_foreign_or_reserved("index.html", &roots));
    }

    #[test]
    fn only_our_objects_are_kept_for_deleting() {
        let outputs: Outputs = [Output::from_bytes(
            "kept.html",
            b"x".to_vec(),
            OutputKind::Page,
        )]
        .into_iter()
        .collect();
        let mut listing = Listing::default();
        for (key, site) in [
            ("kept.html", Some("other")),
            ("ours-removed.html", Some("me")),
            ("other-site.html", Some("other")),
            ("old-unlisted.html", None),
            ("old-listed.html", None),
            ("old-pending.html", None),
        ] {
            listing.objects.insert(key.into(), listed(site));
        }
        let mut stored = Manifest::new();
        stored
            .entries
            .insert("old-listed.html".into(), listed(None).entry);
        stored.pending_deletes.insert("old-pending.html".into());
        let base = verified_baseline(listing.clone(), "me", Some(&stored), &outputs);
        let keys: Vec<&str> = base.entries.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "kept.html",
                "old-listed.html",
                "old-pending.html",
                "ours-removed.html"
            ]
        );
        // Without a manifest only our id vouches for an object.
        let base = verified_baseline(listing, "me", None, &outputs);
        let keys: Vec<&str> = base.entries.keys().map(String::as_str).collect();
        assert_eq!(keys, ["kept.html", "ours-removed.html"]);
    }
}
