//! Private posts end to end: nothing of a private post but its URL in any output, sealed
//! bodies that open with the passphrase (checked with the crypto crates directly, not through
//! bucketpress's own decryption), byte-stable builds, clear errors without passphrases.

use std::process::Command;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use bucketpress::error::Problem;
use bucketpress::outputs::Outputs;
use bucketpress::pipeline::{BuildOptions, Session};
use bucketpress::private::PrivateError;
use bucketpress::private::page::parse_envelope;
use sha2::Sha256;

use crate::support::{self, text};

const PASS: &str = "tangerine-otter-42";
const FAMILY_PASS: &str = "family-walrus-7";
/// Words that appear only in private posts: none may appear in any output.
const SENTINELS: &[&str] = &[
    "Xylophonequark",  // private title
    "Zanzibarwombat",  // private body
    "Descriptaprivat", // private description
    "secrettagname",   // a tag only private posts carry
    "Gruyerefamily",   // the family group's post body
    "Heading-Jabberwock",
    PASS,
    FAMILY_PASS,
];

fn site_files(extra_config: &str) -> Vec<(String, String)> {
    let config = format!(
        "title = \"T\"\nbase_url = \"https://t.example/\"\nposts_per_page = 1\n\
         [private]\nkey_file = \"keys/default.key\"\niterations = 100000\n{extra_config}\n\
         [private.key_files]\nfamily = \"keys/family.key\"\n"
    );
    vec![
        ("site.toml".into(), config),
        ("keys/default.key".into(), format!("# test key\n{PASS}\n")),
        ("keys/family.key".into(), format!("{FAMILY_PASS}\n")),
        (
            "content/posts/a.md".into(),
            "---\ntitle: Alpha\ndate: 2024-01-01\ntags: [shared]\n---\nAlpha body.\n".into(),
        ),
        (
            "content/posts/secret.md".into(),
            "---\ntitle: Xylophonequark\ndate: 2024-01-02\nprivate: true\n\
             tags: [shared, secrettagname]\ndescription: Descriptaprivat\n---\n\
             Zanzibarwombat lives here.\n\n## Heading-Jabberwock\n\n```rust\nfn zanzibarwombat() {}\n```\n"
                .into(),
        ),
        (
            "content/posts/family.md".into(),
            "+++\ntitle = \"Gruyerefamily reunion\"\ndate = 2024-01-03\nencrypt = \"family\"\n+++\nGruyerefamily only.\n"
                .into(),
        ),
        (
            "content/posts/b.md".into(),
            "---\ntitle: Beta\ndate: 2024-01-04\n---\nBeta body.\n\nBeta links to [a private post](@/posts/secret.md).\n"
                .into(),
        ),
    ]
}

fn make_site(extra_config: &str) -> tempfile::TempDir {
    let files = site_files(extra_config);
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    support::site(&refs)
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn render(dir: &std::path::Path) -> Outputs {
    Session::new(dir, BuildOptions::default())
        .with_env(no_env)
        .render()
        .expect("site builds")
        .outputs
}

/// Every output's bytes as (key, lossy text).
fn all_text(outputs: &Outputs) -> Vec<(String, String)> {
    outputs
        .iter()
        .map(|o| {
            let bytes = o.body.read_all().unwrap();
            (o.key.clone(), String::from_utf8_lossy(&bytes).into_owned())
        })
        .collect()
}

/// Opens a locked page with nothing but the crypto crates and the published bytes:
/// PBKDF2-HMAC-SHA256 → HKDF-SHA256 → AES-256-GCM, as the browser does.
fn open_page(page: &str, passphrase: &str) -> Option<serde_json::Value> {
    let env = parse_envelope(page).expect("the page carries an envelope");
    let mut master = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(
        passphrase.as_bytes(),
        &env.salt,
        env.iterations,
        &mut master,
    );
    let mut key = [0u8; 32];
    hkdf::Hkdf::<Sha256>::new(Some(&[]), &master)
        .expand(b"bucketpress v1 aes-256-gcm key", &mut key)
        .unwrap();
    let cipher = aes_gcm::Aes256Gcm::new(&key.into());
    let plain = cipher
        .decrypt(
            &aes_gcm::Nonce::from(env.sealed.nonce),
            Payload {
                msg: &env.sealed.ciphertext,
                aad: env.aad.as_bytes(),
            },
        )
        .ok()?;
    Some(serde_json::from_slice(&plain).unwrap())
}

#[test]
fn private_posts_leak_nothing_but_their_url() {
    let dir = make_site("");
    let outputs = render(dir.path());
    for (key, body) in all_text(&outputs) {
        for word in SENTINELS {
            assert!(
                !body.to_lowercase().contains(&word.to_lowercase()),
                "{word:?} in {key}"
            );
        }
        // The URL is known only to its own page and to the public post that links to it
        // (its page, and its full text in the feed).
        let allowed = ["posts/secret/index.html", "posts/b/index.html", "atom.xml"];
        if !allowed.contains(&key.as_str()) {
            assert!(!body.contains("/posts/secret/"), "private URL in {key}");
        }
        if key != "posts/family/index.html" {
            assert!(!body.contains("/posts/family/"), "private URL in {key}");
        }
    }
    // Pagination counts only the two public posts (one per page).
    assert!(outputs.contains("page/2/index.html"));
    assert!(!outputs.contains("page/3/index.html"));
    assert!(!outputs.contains("tags/secrettagname/index.html"));
    let shared = text(&outputs, "tags/shared/index.html");
    assert!(
        shared.contains("Alpha") && !shared.contains("page/2/"),
        "{shared}"
    );
    // Beta's neighbour is Alpha, not the private posts between them.
    let beta = text(&outputs, "posts/b/index.html");
    assert!(beta.contains("href=\"/posts/a/\""), "{beta}");
    assert!(
        beta.contains("href=\"/posts/secret/\""),
        "the author's own link stays"
    );
    let secret = text(&outputs, "posts/secret/index.html");
    assert!(!secret.contains("rel=\"prev\"") && !secret.contains("rel=\"next\""));
    assert!(
        secret.contains("<title>Private post &middot; T</title>"),
        "{secret}"
    );
    assert!(secret.contains("<meta name=\"robots\" content=\"noindex\">"));
    assert!(secret.contains("src=\"/private.js\""));
    assert!(outputs.contains("private.js"));
}

#[test]
fn sealed_bodies_open_with_their_passphrase_only() {
    let dir = make_site("");
    let outputs = render(dir.path());
    let secret = text(&outputs, "posts/secret/index.html");
    let doc = open_page(&secret, PASS).expect("opens with the passphrase");
    assert_eq!(doc["title"], "Xylophonequark");
    let html = doc["html"].as_str().unwrap();
    assert!(html.contains("Zanzibarwombat lives here."), "{html}");
    assert!(
        html.contains("id=\"heading-jabberwock\""),
        "rendered Markdown: {html}"
    );
    assert!(
        html.contains("data-lang=\"rust\""),
        "highlighted code: {html}"
    );
    assert!(open_page(&secret, "tangerine-otter-43").is_none());
    assert!(
        open_page(&secret, FAMILY_PASS).is_none(),
        "groups have their own keys"
    );
    let family = text(&outputs, "posts/family/index.html");
    let doc = open_page(&family, FAMILY_PASS).expect("the family group's passphrase");
    assert!(
        doc["html"]
            .as_str()
            .unwrap()
            .contains("Gruyerefamily only.")
    );
    assert!(open_page(&family, PASS).is_none());
    let env = parse_envelope(&secret).unwrap();
    assert_eq!(env.iterations, 100_000);
    assert_eq!(env.aad, "/posts/secret/");
}

#[test]
fn builds_are_byte_identical_and_one_changed_character_changes_the_nonce() {
    let dir = make_site("");
    let first = render(dir.path());
    let second = render(dir.path());
    assert_eq!(first.len(), second.len());
    for output in first.iter() {
        let again = second.get(&output.key).expect("same keys");
        assert_eq!(
            output.hash, again.hash,
            "{} differs between builds",
            output.key
        );
    }
    let path = dir.path().join("content/posts/secret.md");
    let source = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, source.replace("lives here.", "lives here!")).unwrap();
    let edited = render(dir.path());
    let nonce = |o: &Outputs| {
        parse_envelope(&text(o, "posts/secret/index.html"))
            .unwrap()
            .sealed
            .nonce
    };
    assert_ne!(nonce(&first), nonce(&edited));
    // Nothing else changed: the edit reaches no other page.
    for output in first.iter().filter(|o| o.key != "posts/secret/index.html") {
        assert_eq!(
            Some(&output.hash),
            edited.get(&output.key).map(|o| &o.hash),
            "{}",
            output.key
        );
    }
}

#[test]
fn serve_style_rebuilds_derive_each_key_once_and_reseal_edits() {
    let dir = make_site("");
    let mut session = Session::new(dir.path(), BuildOptions::default()).with_env(no_env);
    let first = session.render().unwrap().outputs;
    assert_eq!(session.key_derivations(), 2, "one per group");
    let path = dir.path().join("content/posts/secret.md");
    let source = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, source.replace("lives here.", "moved out.")).unwrap();
    let changed = vec!["content/posts/secret.md".to_string()];
    let second = session.render_changed(Some(&changed)).unwrap().outputs;
    assert_eq!(
        session.key_derivations(),
        2,
        "keys are kept between renders"
    );
    assert_eq!(session.stats().markdown_rendered, 1);
    let page = text(&second, "posts/secret/index.html");
    assert_ne!(page, text(&first, "posts/secret/index.html"));
    let doc = open_page(&page, PASS).unwrap();
    assert!(doc["html"].as_str().unwrap().contains("moved out."));
}

#[test]
fn show_title_shows_it_on_the_page_only() {
    let dir = make_site("show_title = true");
    let outputs = render(dir.path());
    let secret = text(&outputs, "posts/secret/index.html");
    assert!(
        secret.contains("<title>Xylophonequark &middot; T</title>"),
        "{secret}"
    );
    assert!(secret.contains("content=\"Descriptaprivat\""));
    assert!(!secret.contains("Zanzibarwombat") && !secret.contains("secrettagname"));
    for (key, body) in all_text(&outputs) {
        if key != "posts/secret/index.html" {
            assert!(!body.contains("Xylophonequark"), "title in {key}");
        }
    }
}

#[test]
fn a_missing_passphrase_names_the_file_and_what_to_set() {
    let dir = make_site("");
    std::fs::remove_file(dir.path().join("keys/family.key")).unwrap();
    let err = Session::new(dir.path(), BuildOptions::default())
        .with_env(no_env)
        .render()
        .unwrap_err();
    assert_eq!(err.0.len(), 1, "{err}");
    assert_eq!(
        err.0[0].path,
        std::path::Path::new("content/posts/family.md")
    );
    assert!(matches!(
        err.0[0].problem,
        Problem::Private(PrivateError::KeyFile { .. })
    ));

    let dir = make_site("");
    let config = std::fs::read_to_string(dir.path().join("site.toml")).unwrap();
    let config = config.replace("key_file = \"keys/default.key\"\n", "");
    std::fs::write(dir.path().join("site.toml"), config).unwrap();
    let err = Session::new(dir.path(), BuildOptions::default())
        .with_env(no_env)
        .render()
        .unwrap_err();
    assert_eq!(
        err.0[0].path,
        std::path::Path::new("content/posts/secret.md")
    );
    match &err.0[0].problem {
        Problem::Private(PrivateError::MissingPassphrase(group)) => {
            assert_eq!(group, "default");
            let message = err.0[0].to_string();
            let (env, file_env) = ("BUCKETPRESS_PASSPHRASE,", "BUCKETPRESS_PASSPHRASE_FILE ");
            assert!(
                message.contains(env) && message.contains(file_env),
                "{message}"
            );
            assert!(message.contains("[private] key_file"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.to_string().contains(PASS));
}

#[test]
fn files_beside_a_private_post_are_refused() {
    let dir = make_site("");
    support::write(
        dir.path(),
        "content/posts/trip/index.md",
        "---\ntitle: Trip\ndate: 2024-02-01\nprivate: true\n---\nx\n",
    );
    support::write(dir.path(), "content/posts/trip/photo.txt", "a photo");
    let err = Session::new(dir.path(), BuildOptions::default())
        .with_env(no_env)
        .render()
        .unwrap_err();
    assert_eq!(
        err.0[0].path,
        std::path::Path::new("content/posts/trip/photo.txt")
    );
    assert!(matches!(
        err.0[0].problem,
        Problem::Private(PrivateError::BundleAsset(_))
    ));
}

fn build_cli(dir: &std::path::Path, env: &[(&str, &str)]) -> std::process::Output {
    let out = dir.join("public");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bucketpress"));
    cmd.args(["build", "--site"])
        .arg(dir)
        .arg("--out")
        .arg(&out);
    for var in [
        "BUCKETPRESS_PASSPHRASE",
        "BUCKETPRESS_PASSPHRASE_FILE",
        "BUCKETPRESS_PASSPHRASE_FAMILY",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("binary runs")
}

#[test]
fn the_cli_takes_passphrases_from_the_environment_and_never_prints_them() {
    let dir = make_site("");
    let config =
        "title = \"T\"\nbase_url = \"https://t.example/\"\n[private]\niterations = 100000\n";
    std::fs::write(dir.path().join("site.toml"), config).unwrap();
    let failed = build_cli(
        dir.path(),
        &[("BUCKETPRESS_PASSPHRASE_FAMILY", FAMILY_PASS)],
    );
    assert_eq!(failed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains("content/posts/secret.md") && stderr.contains("BUCKETPRESS_PASSPHRASE"),
        "{stderr}"
    );
    assert!(!stderr.contains(FAMILY_PASS), "{stderr}");
    assert!(
        !dir.path().join("public").exists(),
        "nothing written on error"
    );

    let ok = build_cli(
        dir.path(),
        &[
            ("BUCKETPRESS_PASSPHRASE", PASS),
            ("BUCKETPRESS_PASSPHRASE_FAMILY", FAMILY_PASS),
        ],
    );
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&ok.stdout),
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(ok.status.success(), "{printed}");
    assert!(
        !printed.contains(PASS) && !printed.contains(FAMILY_PASS),
        "{printed}"
    );
    let page = std::fs::read_to_string(dir.path().join("public/posts/secret/index.html")).unwrap();
    assert!(open_page(&page, PASS).is_some());
    for entry in walkdir::WalkDir::new(dir.path().join("public")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            let body = String::from_utf8_lossy(&bytes);
            for word in SENTINELS {
                assert!(!body.contains(word), "{word} in {}", entry.path().display());
            }
        }
    }
}

#[test]
fn the_example_site_builds_with_its_demo_key_and_publishes_no_key() {
    let site = support::example_site();
    let outputs = render(site.path());
    let page = text(&outputs, "posts/family-recipes/index.html");
    let doc = open_page(&page, "correct horse battery staple").expect("the demo passphrase");
    assert!(
        doc["html"]
            .as_str()
            .unwrap()
            .contains("Grandmother never weighed anything")
    );
    for (key, body) in all_text(&outputs) {
        assert!(!key.contains("passphrase"), "{key} published");
        assert!(
            !body.contains("correct horse battery staple"),
            "passphrase in {key}"
        );
        assert!(!body.contains("Grandmother"), "private text in {key}");
        assert!(
            !body.contains("written down at last"),
            "private title in {key}"
        );
    }
}

/// Python's `cryptography` package opens the page: an implementation we did not write.
#[test]
#[ignore = "needs Python 3 with the cryptography package; run with --ignored"]
fn python_cryptography_opens_a_private_page() {
    let dir = make_site("");
    let outputs = render(dir.path());
    let page_path = dir.path().join("secret.html");
    std::fs::write(&page_path, text(&outputs, "posts/secret/index.html")).unwrap();
    let script = r#"
import base64, json, re, sys
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
page = open(sys.argv[1]).read()
env = json.loads(re.search(r'data-bp-payload>(.*?)</script>', page, re.S).group(1))
b = lambda k: base64.b64decode(env[k])
master = PBKDF2HMAC(hashes.SHA256(), 32, b("salt"), env["iterations"]).derive(sys.argv[2].encode())
key = HKDF(hashes.SHA256(), 32, b"", b"bucketpress v1 aes-256-gcm key").derive(master)
try:
    plain = AESGCM(key).decrypt(b("nonce"), b("ciphertext"), env["aad"].encode())
except Exception:
    print("WRONG"); sys.exit(0)
print(json.loads(plain)["html"])
"#;
    let run = |pass: &str| {
        let out = Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&page_path)
            .arg(pass)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(run(PASS).contains("Zanzibarwombat lives here."));
    assert_eq!(run("not it").trim(), "WRONG");
}

/// A one-shot render parks each document's HTML on disk until its page is rendered (issue
/// #22); `serve` keeps it in memory. Both give the same bytes, sealed pages included (the
/// sealed body is made from the HTML read back), and the parked build's sealed page opens.
#[test]
fn a_one_shot_render_with_parked_html_equals_the_in_memory_render() {
    let dir = make_site("");
    let in_memory = render(dir.path());
    let one_shot = Session::new(dir.path(), BuildOptions::default())
        .with_env(no_env)
        .single_render()
        .render()
        .expect("site builds")
        .outputs;
    assert_eq!(all_text(&one_shot), all_text(&in_memory));
    let page = text(&one_shot, "posts/secret/index.html");
    let opened = open_page(&page, PASS).expect("the parked build's page opens");
    assert!(opened.to_string().contains("Zanzibarwombat"), "{opened}");
    // The full-text feed shows public posts' HTML read back from the store.
    assert!(text(&one_shot, "atom.xml").contains("Beta body."));
}
