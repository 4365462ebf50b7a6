//! Tests of front matter: splitting, fields, dates, every tool's habits.

use super::*;

fn fm(text: &str) -> Result<FrontMatter, LineError> {
    parse(&split(text)?)
}

#[test]
fn splits_yaml_and_counts_lines() {
    let s = split("---\ntitle: A\n---\nbody\n").unwrap();
    assert_eq!(s.format, Some(Format::Yaml));
    assert_eq!(s.front, "title: A\n");
    assert_eq!(s.body, "body\n");
    assert_eq!(s.body_line, 4);
}

#[test]
fn splits_toml() {
    let s = split("+++\ntitle = \"A\"\n+++\n\nbody").unwrap();
    assert_eq!(s.format, Some(Format::Toml));
    assert_eq!(s.body, "\nbody");
}

#[test]
fn unclosed_fence_is_an_error() {
    assert_eq!(
        split("---\ntitle: A\nbody\n").unwrap_err(),
        (1, Problem::UnclosedFrontMatter("---"))
    );
}

#[test]
fn empty_file_is_an_error() {
    assert_eq!(split("  \n").unwrap_err().1, Problem::Empty);
}

#[test]
fn no_front_matter_is_all_body() {
    let s = split("# Hello\n").unwrap();
    assert_eq!(s.format, None);
    assert_eq!(s.body, "# Hello\n");
}

#[test]
fn yaml_fields() {
    let f = fm(
        "---\ntitle: Hello\ndate: 2024-03-01\ntags: [a, b]\ndraft: true\naliases: [/old/]\n---\n",
    )
    .unwrap();
    assert_eq!(f.title.as_deref(), Some("Hello"));
    assert_eq!(f.date.unwrap().to_rfc3339(), "2024-03-01T00:00:00+00:00");
    assert_eq!(f.tags, ["a", "b"]);
    assert!(f.draft);
    assert_eq!(f.aliases, ["/old/"]);
}

#[test]
fn jekyll_style_tags_and_redirects() {
    let f = fm("---\ntitle: J\ndate: 2024-03-01 10:20:30 +0200\ntags: rust, web\nredirect_from: /x/\n---\n")
        .unwrap();
    assert_eq!(f.tags, ["rust", "web"]);
    assert_eq!(f.aliases, ["/x/"]);
    assert_eq!(f.date.unwrap().to_rfc3339(), "2024-03-01T10:20:30+02:00");
}

#[test]
fn toml_native_dates_and_zola_taxonomies() {
    let f = fm(
        "+++\ntitle = \"Z\"\ndate = 2024-05-06T07:08:09Z\n[taxonomies]\ntags = [\"rust\"]\n+++\n",
    )
    .unwrap();
    assert_eq!(f.date.unwrap().to_rfc3339(), "2024-05-06T07:08:09+00:00");
    assert_eq!(f.tags, ["rust"]);
    let f = fm("+++\ntitle = \"Z\"\ndate = 2024-05-06\n+++\n").unwrap();
    assert_eq!(f.date.unwrap().to_rfc3339(), "2024-05-06T00:00:00+00:00");
}

#[test]
fn bad_date_names_field_line_and_expectation() {
    let (line, problem) = fm("---\ntitle: A\ndate: soon\n---\n").unwrap_err();
    assert_eq!(line, 3);
    assert_eq!(
        problem,
        Problem::Invalid {
            field: "date".into(),
            expected: date::EXPECTED.into(),
            found: "soon".into()
        }
    );
}

#[test]
fn impossible_date_is_rejected() {
    assert!(parse_date_utc("2023-02-30").is_none());
    assert!(parse_date_utc("2024-02-29").is_some());
}

#[test]
fn malformed_yaml_reports_line() {
    let (line, problem) = fm("---\ntitle: A\ntags: [a, b\n---\n").unwrap_err();
    assert!(matches!(problem, Problem::Syntax { .. }), "{problem:?}");
    assert!((2..=4).contains(&line), "line {line}");
}

#[test]
fn private_and_encrypt_in_yaml_and_toml() {
    let f = fm("---\ntitle: A\nprivate: true\n---\n").unwrap();
    assert_eq!((f.private, f.encrypt.as_deref()), (Some(true), None));
    let f = fm("+++\ntitle = \"A\"\nprivate = true\n+++\n").unwrap();
    assert_eq!(f.private, Some(true));
    let f = fm("+++\ntitle = \"A\"\nencrypt = \"family\"\n+++\n").unwrap();
    assert_eq!((f.private, f.encrypt.as_deref()), (None, Some("family")));
    let f = fm("---\ntitle: A\nencrypt: family\n---\n").unwrap();
    assert_eq!(f.encrypt.as_deref(), Some("family"));
    assert_eq!(fm("---\ntitle: A\n---\n").unwrap().private, None);
}

#[test]
fn categories_authors_extra_and_jekyll_habits() {
    let jekyll = Options {
        space_separated: true,
        ..Options::default()
    };
    let text = "---\ntitle: A\ntags: intro meta\ncategories: jekyll update\nauthor: Jane Doe\npublished: false\nimage: /a.png\nmood: happy\nparams:\n  toc: true\n---\n";
    let f = parse_with(&split(text).unwrap(), &jekyll).unwrap();
    assert_eq!(f.tags, ["intro", "meta"]);
    assert_eq!(f.categories, ["jekyll", "update"]);
    assert_eq!(f.authors, ["Jane Doe"]);
    assert!(f.draft, "published: false is a draft");
    assert_eq!(f.image.as_deref(), Some("/a.png"));
    assert_eq!(f.extra["mood"], "happy");
    assert_eq!(f.extra["toc"], true);
    // Without Jekyll's habit a tag string is one tag.
    assert_eq!(
        fm("---\ntitle: A\ntags: web dev\n---\n").unwrap().tags,
        ["web dev"]
    );
    let f = fm("+++\ntitle = \"Z\"\n[taxonomies]\ncategories = [\"C\"]\nauthors = [\"Ann\"]\nseries = [\"S\"]\n[extra]\ncover = \"x.svg\"\n+++\n").unwrap();
    assert_eq!(
        (f.categories, f.authors),
        (vec!["C".to_string()], vec!["Ann".to_string()])
    );
    assert_eq!(f.extra["cover"], "x.svg");
    assert_eq!(f.extra["taxonomies"]["series"][0], "S");
    let f = fm("---\ntitle: 1984\ncover:\n  image: c.png\npublishDate: 2020-01-02\nlastmod: 2020-02-03\n---\n").unwrap();
    assert_eq!(f.title.as_deref(), Some("1984"), "a number as a title");
    assert_eq!(f.image.as_deref(), Some("c.png"));
    assert_eq!(
        f.publish_date.unwrap().to_rfc3339(),
        "2020-01-02T00:00:00+00:00"
    );
    assert_eq!(f.updated.unwrap().to_rfc3339(), "2020-02-03T00:00:00+00:00");
}

#[test]
fn every_bad_field_is_reported_with_its_line() {
    let (line_errors, _) = (
        parse_with(
            &split("---\ntitle: A\ndate: soon\ndraft: maybe\npaginate_by: many\n---\n").unwrap(),
            &Options::default(),
        )
        .unwrap_err(),
        (),
    );
    let lines: Vec<usize> = line_errors.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [3, 4, 5]);
}

#[test]
fn malformed_toml_reports_line() {
    let (line, problem) = fm("+++\ntitle = \"A\"\ndate = = 3\n+++\n").unwrap_err();
    assert!(matches!(problem, Problem::Syntax { .. }));
    assert_eq!(line, 3);
}
