//! The cryptography of private posts, all of it doable with WebCrypto in the reader's browser:
//! PBKDF2-HMAC-SHA256 from the passphrase, HKDF-SHA256 to split that into an encryption key
//! and a nonce key, AES-256-GCM with a deterministic (SIV-style) nonce. RustCrypto crates only.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// PBKDF2 iterations unless `[private] iterations` says otherwise (OWASP's 2023 advice for
/// PBKDF2-HMAC-SHA256).
pub(crate) const DEFAULT_ITERATIONS: u32 = 600_000;

/// The fewest iterations `[private] iterations` accepts.
pub(crate) const MIN_ITERATIONS: u32 = 100_000;

/// Label hashed into every salt, so the salt of one scheme is never reused by another.
const SALT_LABEL: &[u8] = b"bucketpress private posts v1\0";
/// HKDF `info` of the AES-256-GCM key (the browser derives this one too).
pub(crate) const ENC_INFO: &[u8] = b"bucketpress v1 aes-256-gcm key";
/// HKDF `info` of the nonce key (build side only).
const NONCE_INFO: &[u8] = b"bucketpress v1 nonce key";

/// The salt of a group: SHA-256 of a fixed label, the site's base URL and the group. Stable
/// across builds and machines, different for every site and group.
pub fn salt(base_url: &str, group: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(SALT_LABEL);
    h.update((base_url.len() as u64).to_le_bytes());
    h.update(base_url.as_bytes());
    h.update((group.len() as u64).to_le_bytes());
    h.update(group.as_bytes());
    h.finalize().into()
}

/// The keys of one group, derived from its passphrase. `Debug` never shows them.
#[derive(Clone, PartialEq, Eq)]
pub struct GroupKey {
    enc: [u8; 32],
    nonce: [u8; 32],
    /// The PBKDF2 salt (published, the browser needs it).
    pub salt: [u8; 32],
    /// The PBKDF2 iteration count (published).
    pub iterations: u32,
}

impl std::fmt::Debug for GroupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupKey")
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

/// Encrypted bytes and the nonce they were sealed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The 96-bit GCM nonce.
    pub nonce: [u8; 12],
    /// Ciphertext followed by the 16-byte tag.
    pub ciphertext: Vec<u8>,
}

/// Decryption failed: wrong key, or bytes changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot decrypt: wrong passphrase or altered ciphertext")]
pub struct OpenError;

impl GroupKey {
    /// Derives the keys: `master = PBKDF2-HMAC-SHA256(passphrase, salt, iterations, 32)`, then
    /// HKDF-SHA256 (empty salt) of `master` with two labels, one per key.
    pub fn derive(passphrase: &str, salt: [u8; 32], iterations: u32) -> GroupKey {
        let mut master = [0u8; 32];
        // `pbkdf2_hmac_with_params` is instantiated inside the pbkdf2 crate, which Cargo.toml
        // optimises even in debug builds; the generic `pbkdf2_hmac::<Sha256>` would compile
        // the hot loop unoptimised into this crate (about 15 times slower in debug builds).
        match pbkdf2::Params::new(iterations) {
            Ok(params) => pbkdf2::pbkdf2_hmac_with_params(
                passphrase.as_bytes(),
                &salt,
                pbkdf2::Algorithm::Pbkdf2Sha256,
                params,
                &mut master,
            ),
            // Below the crate's floor of 1,000 rounds (only tests go there).
            Err(_) => {
                pbkdf2::pbkdf2_hmac::<Sha256>(passphrase.as_bytes(), &salt, iterations, &mut master)
            }
        }
        let hk = Hkdf::<Sha256>::new(Some(&[]), &master);
        let mut enc = [0u8; 32];
        let mut nonce = [0u8; 32];
        // 32 bytes is far below HKDF's limit of 255 * 32: these cannot fail.
        hk.expand(ENC_INFO, &mut enc).unwrap_or_default();
        hk.expand(NONCE_INFO, &mut nonce).unwrap_or_default();
        master.fill(0);
        GroupKey {
            enc,
            nonce,
            salt,
            iterations,
        }
    }

    /// A fingerprint of the keys for in-memory render caches (never written anywhere).
    pub fn id(&self) -> blake3::Hash {
        let mut h = blake3::Hasher::new();
        h.update(&self.enc).update(&self.nonce).update(&self.salt);
        h.update(&self.iterations.to_le_bytes());
        h.finalize()
    }

    /// The nonce for `plaintext` at `aad` (the page's URL path): the first 12 bytes of
    /// HMAC-SHA256(nonce key, len(aad) ‖ aad ‖ plaintext). Equal only for equal inputs.
    pub(crate) fn nonce_for(&self, aad: &str, plaintext: &[u8]) -> [u8; 12] {
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&self.nonce)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(&(aad.len() as u64).to_le_bytes());
        mac.update(aad.as_bytes());
        mac.update(plaintext);
        let tag = mac.finalize().into_bytes();
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&tag[..12]);
        nonce
    }

    /// Encrypts `plaintext` with AES-256-GCM, `aad` as associated data, under the
    /// deterministic nonce of [`GroupKey::nonce_for`]: same inputs, same bytes.
    pub(crate) fn seal(&self, aad: &str, plaintext: &[u8]) -> Sealed {
        let nonce = self.nonce_for(aad, plaintext);
        let cipher = Aes256Gcm::new(&self.enc.into());
        let payload = Payload {
            msg: plaintext,
            aad: aad.as_bytes(),
        };
        // AES-GCM only fails for messages over 64 GiB.
        let ciphertext = cipher
            .encrypt(&Nonce::from(nonce), payload)
            .unwrap_or_default();
        Sealed { nonce, ciphertext }
    }

    /// Decrypts what `GroupKey::seal` made (what the browser does; used by tests).
    pub fn open(&self, aad: &str, sealed: &Sealed) -> Result<Vec<u8>, OpenError> {
        let cipher = Aes256Gcm::new(&self.enc.into());
        let payload = Payload {
            msg: &sealed.ciphertext,
            aad: aad.as_bytes(),
        };
        cipher
            .decrypt(&Nonce::from(sealed.nonce), payload)
            .map_err(|_| OpenError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: u32 = 1_000;

    fn key(pass: &str) -> GroupKey {
        GroupKey::derive(pass, salt("https://blog.example.com/", "default"), FAST)
    }

    #[test]
    fn pbkdf2_matches_the_rfc_7914_vector() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256, P = "passwd", S = "salt", c = 1, first 32 bytes.
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(b"passwd", b"salt", 1, &mut out);
        assert_eq!(out[..8], [0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f]);
    }

    #[test]
    fn salt_is_stable_and_differs_by_site_and_group() {
        let a = salt("https://a.example/", "default");
        assert_eq!(a, salt("https://a.example/", "default"));
        assert_ne!(a, salt("https://b.example/", "default"));
        assert_ne!(a, salt("https://a.example/", "family"));
        // The lengths are hashed too: moving bytes between the fields changes the salt.
        assert_ne!(
            salt("https://a.example/x", "y"),
            salt("https://a.example/", "xy")
        );
    }

    #[test]
    fn seal_then_open_round_trips_and_wrong_keys_fail() {
        let k = key("correct horse");
        let sealed = k.seal("/posts/x/", b"<p>secret</p>");
        assert_eq!(sealed.ciphertext.len(), 13 + 16, "ciphertext plus GCM tag");
        assert!(!sealed.ciphertext.windows(6).any(|w| w == b"secret"));
        assert_eq!(k.open("/posts/x/", &sealed).unwrap(), b"<p>secret</p>");
        assert_eq!(
            key("correct horsf").open("/posts/x/", &sealed),
            Err(OpenError)
        );
        assert_eq!(
            k.open("/posts/y/", &sealed),
            Err(OpenError),
            "bound to its URL"
        );
        let mut altered = sealed.clone();
        altered.ciphertext[0] ^= 1;
        assert_eq!(k.open("/posts/x/", &altered), Err(OpenError));
    }

    #[test]
    fn sealing_is_deterministic_and_any_change_changes_the_nonce() {
        let k = key("pass");
        let a = k.seal("/posts/x/", b"Hello world");
        assert_eq!(a, key("pass").seal("/posts/x/", b"Hello world"));
        let one_char = k.seal("/posts/x/", b"Hello World");
        assert_ne!(a.nonce, one_char.nonce);
        assert_ne!(a.nonce, k.seal("/posts/y/", b"Hello world").nonce);
        assert_ne!(
            a.nonce,
            key("pass2").seal("/posts/x/", b"Hello world").nonce
        );
    }

    #[test]
    fn keys_are_separate_and_never_printed() {
        let k = key("pass");
        assert_ne!(k.enc, k.nonce, "encryption and nonce keys are independent");
        assert_ne!(k.id(), key("other").id());
        assert_eq!(format!("{k:?}"), "GroupKey { iterations: 1000, .. }");
    }

    #[test]
    fn iterations_matter() {
        let s = salt("https://x.example/", "default");
        assert_ne!(
            GroupKey::derive("p", s, 1000).id(),
            GroupKey::derive("p", s, 1001).id()
        );
    }
}
