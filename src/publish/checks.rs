//! Checks of what a publish or set-up was told, before any request: the bucket name (S3's
//! naming rules), the prefix, the endpoint URL, object keys a build would refuse; and a
//! warning when the prefix and `base_url`'s path disagree. Pure functions.

use crate::outputs::Outputs;

/// Input that no store would accept, or that would put objects where nobody looks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The bucket name breaks S3's naming rules.
    #[error(
        "invalid bucket name {name:?}: {why} (bucket names are 3-63 characters: lowercase \
         letters, digits, dots and hyphens, starting and ending with a letter or digit)"
    )]
    Bucket {
        /// The name.
        name: String,
        /// The rule it breaks.
        why: &'static str,
    },
    /// The prefix has a part that is no folder name.
    #[error(
        "invalid prefix {prefix:?}: {why} (a prefix is folder names joined by '/', like \
         \"blog/\" or \"sites/blog/\")"
    )]
    Prefix {
        /// The prefix.
        prefix: String,
        /// What is wrong.
        why: &'static str,
    },
    /// The endpoint is not an http(s) URL of a host.
    #[error(
        "invalid endpoint {url:?}: {why} (expected a URL such as \"https://s3.example.com\" \
         or \"http://127.0.0.1:9000\" in [publish] endpoint)"
    )]
    Endpoint {
        /// The URL.
        url: String,
        /// What is wrong.
        why: &'static str,
    },
    /// Outputs whose keys `build` refuses to write (a backslash, `..`, empty parts).
    #[error(
        "{} key(s) that build refuses, e.g. {:?}: rename the files (no backslash, no '..' \
         or empty path parts); nothing was published",
        .0.len(),
        .0[0]
    )]
    UnsafeKeys(Vec<String>),
}

/// Checks a bucket name against S3's rules for new buckets (which R2, MinIO and Garage
/// share, give or take).
pub(crate) fn check_bucket(name: &str) -> Result<(), InputError> {
    let bad = |why| {
        Err(InputError::Bucket {
            name: name.to_string(),
            why,
        })
    };
    if !(3..=63).contains(&name.len()) {
        return bad("it must be 3 to 63 characters long");
    }
    if let Some(c) = name
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '.' | '-'))
    {
        return if c.is_ascii_uppercase() {
            bad("it has an uppercase letter")
        } else {
            bad("it has a character other than a-z, 0-9, '.' and '-'")
        };
    }
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !edge(name.chars().next()) || !edge(name.chars().last()) {
        return bad("it must start and end with a letter or digit");
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return bad("a dot may not be next to another dot or a hyphen");
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return bad("it may not look like an IP address");
    }
    if name.starts_with("xn--") || name.starts_with("sthree-") {
        return bad("it may not start with \"xn--\" or \"sthree-\"");
    }
    if name.ends_with("-s3alias") || name.ends_with("--ol-s3") {
        return bad("it may not end with \"-s3alias\" or \"--ol-s3\"");
    }
    Ok(())
}

/// Checks a (normalised) prefix: folder names joined by `/`, none of them `.` or `..`, empty,
/// or holding a space, a backslash or a control character.
pub(crate) fn check_prefix(prefix: &str) -> Result<(), InputError> {
    let bad = |why| {
        Err(InputError::Prefix {
            prefix: prefix.to_string(),
            why,
        })
    };
    if prefix.chars().any(char::is_whitespace) {
        return bad("it has a space");
    }
    if prefix.contains('\\') || prefix.chars().any(char::is_control) {
        return bad("it has a backslash or a control character");
    }
    let inner = prefix.trim_end_matches('/');
    if inner.is_empty() {
        return Ok(());
    }
    for part in inner.split('/') {
        match part {
            "" => return bad("it has an empty part ('//')"),
            "." | ".." => return bad("it has a '.' or '..' part"),
            _ => {}
        }
    }
    Ok(())
}

/// Checks an endpoint URL: `http://` or `https://`, a host (name, IPv4 or `[IPv6]`), an
/// optional port, nothing that is not part of a URL.
pub(crate) fn check_endpoint(url: &str) -> Result<(), InputError> {
    let bad = |why| {
        Err(InputError::Endpoint {
            url: url.to_string(),
            why,
        })
    };
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return bad("it must start with http:// or https://");
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("it has a space or a control character");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return bad("credentials do not belong in the URL");
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => return bad("an IPv6 address needs its closing ']'"),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return bad("it has no host");
    }
    let host_ok = if authority.starts_with('[') {
        host.chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    } else {
        host.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
            && !host.starts_with(['.', '-'])
            && !host.contains("..")
    };
    if !host_ok {
        return bad("its host is not a valid name or address");
    }
    if let Some(port) = port
        && !port.parse::<u16>().is_ok_and(|p| p > 0)
    {
        return bad("its port is not a number from 1 to 65535");
    }
    Ok(())
}

/// A warning when `prefix` is not the path of `base_url`: the pages link to `base_url`'s
/// path, so unless a CDN or proxy maps one onto the other, the site's links miss.
pub(crate) fn prefix_warning(prefix: &str, base_url: &str) -> Option<String> {
    let path = base_url.split_once("://").map_or(base_url, |(_, rest)| {
        rest.find('/').map_or("", |i| &rest[i..])
    });
    let path = path.split(['?', '#']).next().unwrap_or("");
    let base = super::s3::normalize_prefix(path);
    (base != prefix).then(|| {
        let shown = |p: &str| {
            if p.is_empty() {
                "the bucket root".to_string()
            } else {
                format!("\"{p}\"")
            }
        };
        format!(
            "the site is published under {}, but base_url ({base_url}) puts its pages under \
             {}: links will miss unless a CDN or proxy maps one onto the other (set prefix \
             and base_url's path alike)",
            shown(prefix),
            shown(&base)
        )
    })
}

/// The keys `build` would refuse to write, which publish refuses too (a backslash, `..`,
/// `.`, empty parts, a leading `/`).
pub(crate) fn check_keys(outputs: &Outputs) -> Result<(), InputError> {
    let bad: Vec<String> = outputs
        .keys()
        .filter(|k| !crate::write::is_safe_key(k))
        .map(str::to_owned)
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(InputError::UnsafeKeys(bad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3s_rules() {
        for ok in [
            "my-blog",
            "abc",
            "a.b.c",
            "blog-2024.example",
            &"a".repeat(63),
        ] {
            assert_eq!(check_bucket(ok), Ok(()), "{ok}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "My-Blog",
            "my_blog",
            "my blog",
            "-blog",
            "blog-",
            "a..b",
            "a.-b",
            "192.168.1.1",
            "xn--blog",
            "blog-s3alias",
        ] {
            assert!(check_bucket(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefixes_are_folder_names() {
        for ok in ["", "blog/", "sites/blog/", "a.b/"] {
            assert_eq!(check_prefix(ok), Ok(()), "{ok}");
        }
        for bad in ["../x/", "a/../b/", "./", "my blog/", "a\\b/", "a//b/"] {
            assert!(check_prefix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoints_are_http_urls_of_a_host() {
        for ok in [
            "https://s3.example.com",
            "http://127.0.0.1:9000",
            "https://abc.r2.cloudflarestorage.com/",
            "http://[::1]:9000",
            "http://minio_1:9000",
        ] {
            assert_eq!(check_endpoint(ok), Ok(()), "{ok}");
        }
        for bad in [
            "s3.example.com",
            "ftp://x",
            "http://",
            "http://:9000",
            "http://host:99999",
            "http://host:port",
            "http://ho st",
            "http://user:pw@host",
            "http://[::1",
            "http://a..b",
        ] {
            assert!(check_endpoint(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_prefix_other_than_base_urls_path_is_a_warning() {
        assert_eq!(prefix_warning("blog/", "https://x.org/blog/"), None);
        assert_eq!(prefix_warning("blog/", "https://x.org/blog"), None);
        assert_eq!(prefix_warning("", "https://x.org/"), None);
        assert_eq!(prefix_warning("", "https://x.org"), None);
        let w = prefix_warning("blog/", "https://x.org/").unwrap();
        assert!(
            w.contains("\"blog/\"") && w.contains("the bucket root"),
            "{w}"
        );
        assert!(prefix_warning("", "https://x.org/blog/").is_some());
    }
}
