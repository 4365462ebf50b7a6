//! The public shell of a private page: an unlock form and the sealed body as JSON, which
//! `/private.js` decrypts in the browser. Pure: same document and key, same bytes.

use base64::Engine as _;
use serde::Serialize;

use super::crypto::GroupKey;

/// The object key of the script that decrypts private pages (`templates/private.js`,
/// published when a site has any: its row in `outputs::generated`).
pub(crate) const SCRIPT_KEY: &str = "private.js";

/// What is encrypted: the title (shown once unlocked) and the rendered body HTML.
#[derive(Serialize)]
struct Plain<'a> {
    title: &'a str,
    html: &'a str,
}

/// What the page carries in the clear: everything the browser needs but the passphrase.
#[derive(Serialize)]
struct Wire<'a> {
    v: u32,
    kdf: &'static str,
    iterations: u32,
    salt: String,
    aad: &'a str,
    nonce: String,
    ciphertext: String,
}

/// The HTML that replaces a private document's content: the unlock form, the sealed
/// `{title, html}` of the document at `url` (its site path, bound as associated data), and
/// the script tag (under `base_path`).
pub(crate) fn locked_html(
    key: &GroupKey,
    url: &str,
    title: &str,
    html: &str,
    base_path: &str,
) -> String {
    let plain = serde_json::to_vec(&Plain { title, html }).unwrap_or_default();
    let sealed = key.seal(url, &plain);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let envelope = Wire {
        v: 1,
        kdf: "PBKDF2-HMAC-SHA256/HKDF-SHA256/AES-256-GCM",
        iterations: key.iterations,
        salt: b64(&key.salt),
        aad: url,
        nonce: b64(&sealed.nonce),
        ciphertext: b64(&sealed.ciphertext),
    };
    // Base64 and URL paths hold no '<', but never let JSON close its script element.
    let json = serde_json::to_string(&envelope)
        .unwrap_or_default()
        .replace('<', "\\u003c");
    let script = crate::highlight::escape_html(&format!("{base_path}{SCRIPT_KEY}"));
    format!(
        r#"<div class="private-post" data-bp-private>
  <form class="private-unlock" data-bp-form>
    <p class="private-lead"><span class="private-lock" aria-hidden="true"></span>This post is private. Enter the passphrase to read it.</p>
    <div class="private-row">
      <label class="visually-hidden" for="bp-passphrase">Passphrase</label>
      <input id="bp-passphrase" name="passphrase" type="password" autocomplete="current-password" placeholder="Passphrase" required>
      <button type="submit">Unlock</button>
    </div>
    <label class="private-remember"><input type="checkbox" data-bp-remember checked> Remember for this tab</label>
    <p class="private-status" data-bp-status role="status" aria-live="polite"></p>
    <noscript><p class="private-status">Reading this post needs JavaScript.</p></noscript>
  </form>
  <div class="private-body" data-bp-body hidden></div>
  <script type="application/json" data-bp-payload>{json}</script>
</div>
<script src="{script}" defer></script>
"#
    )
}

/// The sealed envelope of a locked page, parsed back (for tests and tools): salt, iterations,
/// associated data, and the sealed bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The PBKDF2 salt.
    pub salt: Vec<u8>,
    /// The PBKDF2 iterations.
    pub iterations: u32,
    /// The associated data (the page's site path).
    pub aad: String,
    /// Nonce and ciphertext.
    pub sealed: super::crypto::Sealed,
}

/// Finds and parses the envelope in a locked page's HTML.
pub fn parse_envelope(page: &str) -> Option<Envelope> {
    let start = page.find("data-bp-payload>")? + "data-bp-payload>".len();
    let end = start + page[start..].find("</script>")?;
    let v: serde_json::Value = serde_json::from_str(&page[start..end]).ok()?;
    let b = |k: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(v[k].as_str()?)
            .ok()
    };
    Some(Envelope {
        salt: b("salt")?,
        iterations: u32::try_from(v["iterations"].as_u64()?).ok()?,
        aad: v["aad"].as_str()?.to_string(),
        sealed: super::crypto::Sealed {
            nonce: b("nonce")?.try_into().ok()?,
            ciphertext: b("ciphertext")?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::private::crypto::salt;

    #[test]
    fn locked_page_holds_no_plaintext_and_opens_with_the_key() {
        let key = GroupKey::derive("pass", salt("https://x.example/", "default"), 1000);
        let page = locked_html(
            &key,
            "/posts/s/",
            "Zebra title",
            "<p>Quokka body</p>",
            "/blog/",
        );
        assert!(!page.contains("Zebra") && !page.contains("Quokka"));
        assert!(page.contains(r#"<script src="/blog/private.js" defer></script>"#));
        let env = parse_envelope(&page).unwrap();
        assert_eq!((env.iterations, env.aad.as_str()), (1000, "/posts/s/"));
        assert_eq!(env.salt, key.salt);
        let plain = key.open(&env.aad, &env.sealed).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&plain).unwrap();
        assert_eq!(v["title"], "Zebra title");
        assert_eq!(v["html"], "<p>Quokka body</p>");
        assert_eq!(
            page,
            locked_html(
                &key,
                "/posts/s/",
                "Zebra title",
                "<p>Quokka body</p>",
                "/blog/"
            )
        );
    }
}
