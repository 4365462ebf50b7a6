use super::*;
use crate::publish::deploys::record::Change;

fn entry(hash: &str, content_type: &str) -> Entry {
    Entry {
        hash: hash.into(),
        size: 1,
        content_type: content_type.into(),
        content_encoding: None,
        cache_control: None,
        redirect: None,
    }
}

fn deploy(id: &str, kind: Kind, status: Status, changes: &[(&str, Option<Entry>, bool)]) -> Deploy {
    Deploy {
        id: id.into(),
        time: String::new(),
        kind,
        status,
        commit: None,
        message: None,
        uploaded: 0,
        deleted: 0,
        unchanged: 0,
        changes: changes
            .iter()
            .map(|(k, before, deleted)| {
                (
                    k.to_string(),
                    Change {
                        before: before.clone(),
                        deleted: *deleted,
                    },
                )
            })
            .collect(),
    }
}

fn manifest(entries: &[(&str, Entry)]) -> Manifest {
    Manifest {
        entries: entries
            .iter()
            .map(|(k, e)| (k.to_string(), e.clone()))
            .collect(),
        ..Manifest::default()
    }
}

#[test]
fn the_first_toucher_from_the_target_on_gives_the_before_state() {
    let html = |h| entry(h, "text/html");
    // d1 made a and b; d2 changed a and deleted b; d3 changed a and added c.
    let records = vec![
        deploy(
            "d1",
            Kind::Publish,
            Status::Done,
            &[("a", None, false), ("b", None, false)],
        ),
        deploy(
            "d2",
            Kind::Publish,
            Status::Done,
            &[
                ("a", Some(html("a1")), false),
                ("b", Some(html("b1")), true),
            ],
        ),
        deploy(
            "d3",
            Kind::Publish,
            Status::Done,
            &[
                ("a", Some(html("a2")), false),
                ("c", None, false),
                ("s.css", Some(entry("s1", "text/css")), false),
            ],
        ),
    ];
    let now = manifest(&[
        ("a", html("a3")),
        ("c", html("c3")),
        ("s.css", entry("s2", "text/css")),
    ]);
    let p = plan(&records, "d3", None, &now, 10).unwrap();
    assert_eq!(p.deletes, ["c"]);
    let restored: Vec<_> = p
        .restores
        .iter()
        .map(|r| (r.key.as_str(), r.from.as_str()))
        .collect();
    // The stylesheet first (pages link to it), each from the history of d3.
    assert_eq!(
        restored,
        [
            ("s.css", ".bucketpress/history/d3/s.css"),
            ("a", ".bucketpress/history/d3/a")
        ]
    );
    assert_eq!(p.manifest.entries["a"].hash, "a2");
    assert!(!p.manifest.entries.contains_key("c"));
    assert!(p.manifest.pending_deletes.contains("c"));

    // Before d2: a from d2's history, b back from d2's, c (d3's) deleted.
    let p = plan(&records, "d2", None, &now, 10).unwrap();
    let restored: Vec<_> = p.restores.iter().map(|r| r.from.as_str()).collect();
    assert_eq!(
        restored,
        [
            ".bucketpress/history/d3/s.css",
            ".bucketpress/history/d2/a",
            ".bucketpress/history/d2/b"
        ]
    );
    assert_eq!(p.deletes, ["c"]);
    // Resuming a rollback started after d3: records from it on are left out.
    let p2 = plan(&records, "d2", Some("d3"), &now, 10).unwrap();
    assert_eq!(p2.restores.len(), 2);

    // Before d1: everything it made goes (a and c exist now; b does not).
    let p = plan(&records, "d1", None, &now, 10).unwrap();
    assert_eq!(p.deletes, ["a", "c"]);
    assert_eq!(
        plan(&records, "d1", None, &now, 1).unwrap_err(),
        UndoError::TooManyDeletes { count: 2, max: 1 }
    );
    assert_eq!(
        plan(&records, "d0", None, &now, 10).unwrap_err(),
        UndoError::Unknown("d0".into())
    );
    // Already as before d3: nothing to do.
    let done = manifest(&[("a", html("a2")), ("s.css", entry("s1", "text/css"))]);
    let p = plan(&records, "d3", None, &done, 10).unwrap();
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(p.unchanged, 3);
}

#[test]
fn rollback_without_an_id_walks_back_one_deploy_at_a_time() {
    let p = |id: &str| deploy(id, Kind::Publish, Status::Done, &[("a", None, false)]);
    let r = |id: &str, to: &str, status| {
        deploy(
            id,
            Kind::Rollback { to: to.into() },
            status,
            &[("a", None, false)],
        )
    };
    let mut records = vec![p("1"), p("2"), p("3")];
    assert_eq!(default_target(&records), Some("3"));
    records.push(r("4", "3", Status::Done));
    assert_eq!(default_target(&records), Some("2"));
    // An unfinished rollback undoes nothing.
    records.push(r("5", "2", Status::Started));
    assert_eq!(default_target(&records), Some("2"));
    records.push(r("6", "2", Status::Done));
    assert_eq!(default_target(&records), Some("1"));
    records.push(p("7"));
    assert_eq!(default_target(&records), Some("7"));
    // A publish that changed nothing is no deploy to undo.
    records.push(deploy("8", Kind::Publish, Status::Done, &[]));
    assert_eq!(default_target(&records), Some("7"));
    records.push(r("9", "1", Status::Done));
    assert_eq!(default_target(&records), None);
}
