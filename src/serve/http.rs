//! The HTTP side: S3 static-website semantics over the in-memory `Outputs` (index documents,
//! slash redirects, alias redirects, the 404 page), plus the live-reload WebSocket. Serves
//! nothing but outputs: a URL is resolved to an object key, never to a file path.

use std::sync::Arc;

use axum::Router;
use axum::body::Body as HttpBody;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use percent_encoding::percent_decode_str;

use super::overlay;
use super::reload::{self, WS_PATH};
use super::state::{Shared, Snapshot};
use crate::outputs::{Body, Output, Outputs};

/// The page S3 serves (with status 404) for unknown keys.
pub(crate) const NOT_FOUND_KEY: &str = "404.html";

/// Why a request path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadPath {
    /// `..` or `.` segments, before or after decoding.
    #[error("path traversal")]
    Traversal,
    /// `%2f` or `%5c` (an encoded slash), a backslash, or a NUL byte.
    #[error("encoded separator or control character")]
    Separator,
    /// Not valid percent-encoded UTF-8.
    #[error("not valid UTF-8")]
    Encoding,
}

/// Decodes a request path (`/posts/caf%C3%A9/`) into the key prefix it names (`posts/café/`),
/// refusing anything that could name something other than an object key.
pub(crate) fn decode_path(raw: &str) -> Result<String, BadPath> {
    let lower = raw.to_ascii_lowercase();
    if lower.contains("%2f") || lower.contains("%5c") || lower.contains("%00") {
        return Err(BadPath::Separator);
    }
    let decoded = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| BadPath::Encoding)?;
    if decoded.contains('\\') || decoded.chars().any(char::is_control) {
        return Err(BadPath::Separator);
    }
    // Strip one slash only: `//host/x` stays unlike any key, so a slash redirect built from it
    // can never become a protocol-relative URL to another site.
    let path = decoded.strip_prefix('/').unwrap_or(&decoded);
    if path.split('/').any(|seg| seg == ".." || seg == ".") {
        return Err(BadPath::Traversal);
    }
    Ok(path.to_string())
}

/// What a request path resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Serve the output at this key.
    Object(String),
    /// Redirect to this URL path with this status.
    Redirect(StatusCode, String),
    /// No such key: serve the 404 page.
    NotFound,
    /// Refused.
    Bad(BadPath),
}

/// Resolves a raw request path against `outputs` the way an S3 website endpoint does:
/// `/x/` → `x/index.html`; `/x` when only `x/index.html` exists → 302 to `/x/`; an alias
/// key → 301 to its target.
pub fn resolve(raw_path: &str, outputs: &Outputs) -> Resolved {
    let path = match decode_path(raw_path) {
        Ok(p) => p,
        Err(e) => return Resolved::Bad(e),
    };
    let key = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.clone()
    };
    if let Some(output) = outputs.get(&key) {
        return match &output.redirect {
            Some(target) => Resolved::Redirect(StatusCode::MOVED_PERMANENTLY, target.clone()),
            None => Resolved::Object(key),
        };
    }
    if !path.ends_with('/') && !path.is_empty() && outputs.contains(&format!("{path}/index.html")) {
        // Keep the request's own (still encoded) spelling of the path.
        return Resolved::Redirect(StatusCode::FOUND, format!("{raw_path}/"));
    }
    Resolved::NotFound
}

/// True when a `Host` header may reach a server listening on loopback: `localhost` (and
/// `*.localhost`) or an IP literal, any port. Other names mean DNS rebinding: a page from
/// another site resolving its own name to 127.0.0.1 to read the preview (drafts included).
pub(crate) fn is_local_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => {
            return v6
                .split(']')
                .next()
                .is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok());
        }
        None => host.rsplit_once(':').map_or(host, |(name, _port)| name),
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<std::net::Ipv4Addr>().is_ok()
}

async fn host_guard(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if shared.local_hosts_only && !host.is_some_and(is_local_host) {
        let msg = "403 Forbidden: the preview answers to localhost and IP addresses only\n";
        return (StatusCode::FORBIDDEN, msg).into_response();
    }
    next.run(request).await
}

/// The router: the reload WebSocket and, for every other path, the outputs.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(WS_PATH, get(reload::ws_handler))
        .fallback(serve_output)
        .layer(middleware::from_fn_with_state(shared.clone(), host_guard))
        .with_state(shared)
}

async fn serve_output(State(shared): State<Arc<Shared>>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        let mut r = (StatusCode::METHOD_NOT_ALLOWED, "GET or HEAD only\n").into_response();
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let snapshot = shared.snapshot();
    let response = match resolve(uri.path(), &snapshot.outputs) {
        Resolved::Object(key) => {
            let output = snapshot.outputs.get(&key).expect("resolved keys exist");
            output_response(StatusCode::OK, output, &snapshot).await
        }
        Resolved::Redirect(status, location) => {
            let location = match uri.query() {
                Some(q) if status == StatusCode::FOUND => format!("{location}?{q}"),
                _ => location,
            };
            let mut r = status.into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Resolved::NotFound => match snapshot.outputs.get(NOT_FOUND_KEY) {
            Some(page) => output_response(StatusCode::NOT_FOUND, page, &snapshot).await,
            None if !snapshot.errors.is_empty() => {
                let page = overlay::error_page(&snapshot.errors);
                html_response(StatusCode::NOT_FOUND, page.as_bytes(), &snapshot)
            }
            None => (StatusCode::NOT_FOUND, "404 Not Found\n").into_response(),
        },
        Resolved::Bad(e) => {
            (StatusCode::BAD_REQUEST, format!("400 Bad Request: {e}\n")).into_response()
        }
    };
    if method == Method::HEAD {
        let (parts, _) = response.into_parts();
        return Response::from_parts(parts, HttpBody::empty());
    }
    response
}

/// The response for one output: its bytes (with the reload block in HTML) and headers.
async fn output_response(status: StatusCode, output: &Output, snapshot: &Snapshot) -> Response {
    let bytes = match &output.body {
        Body::Bytes(b) => b.to_vec(),
        Body::File { path, .. } => match tokio::fs::read(path).await {
            Ok(b) => b,
            Err(e) => {
                let msg = format!("cannot read {}: {e}\n", path.display());
                return (StatusCode::INTERNAL_SERVER_ERROR, msg).into_response();
            }
        },
        Body::Dropped { .. } => {
            let msg = format!("{}\n", Body::dropped_error());
            return (StatusCode::INTERNAL_SERVER_ERROR, msg).into_response();
        }
    };
    let body = if output.is_html() && output.content_encoding.is_none() {
        let block = reload::snippet(snapshot.version, &snapshot.errors);
        reload::inject(&bytes, &block)
    } else {
        bytes
    };
    let mut r = (status, body).into_response();
    let headers = r.headers_mut();
    let mut set = |name, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    set(header::CONTENT_TYPE, &output.content_type);
    if let Some(enc) = &output.content_encoding {
        set(header::CONTENT_ENCODING, enc);
    }
    if let Some(cc) = &output.cache_control {
        set(header::CACHE_CONTROL, cc);
    }
    r
}

fn html_response(status: StatusCode, html: &[u8], snapshot: &Snapshot) -> Response {
    let block = reload::snippet(snapshot.version, &snapshot.errors);
    let mut r = (status, reload::inject(html, &block)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::OutputKind;

    fn site() -> Outputs {
        let mut alias =
            Output::from_bytes("old/index.html", b"moved".to_vec(), OutputKind::Redirect);
        alias.redirect = Some("/posts/new/".into());
        [
            Output::from_bytes("index.html", b"home".to_vec(), OutputKind::Listing),
            Output::from_bytes("posts/new/index.html", b"p".to_vec(), OutputKind::Page),
            Output::from_bytes("posts/café/index.html", b"c".to_vec(), OutputKind::Page),
            Output::from_bytes("style.css", b"body{}".to_vec(), OutputKind::Asset),
            Output::from_bytes("404.html", b"nope".to_vec(), OutputKind::Listing),
            alias,
        ]
        .into_iter()
        .collect()
    }

    fn obj(key: &str) -> Resolved {
        Resolved::Object(key.into())
    }

    #[test]
    fn index_documents_and_files() {
        let s = site();
        assert_eq!(resolve("/", &s), obj("index.html"));
        assert_eq!(resolve("/posts/new/", &s), obj("posts/new/index.html"));
        assert_eq!(
            resolve("/posts/new/index.html", &s),
            obj("posts/new/index.html")
        );
        assert_eq!(resolve("/style.css", &s), obj("style.css"));
        assert_eq!(
            resolve("/posts/caf%C3%A9/", &s),
            obj("posts/café/index.html")
        );
    }

    #[test]
    fn redirects_like_s3() {
        let s = site();
        assert_eq!(
            resolve("/posts/new", &s),
            Resolved::Redirect(StatusCode::FOUND, "/posts/new/".into())
        );
        assert_eq!(
            resolve("/old/", &s),
            Resolved::Redirect(StatusCode::MOVED_PERMANENTLY, "/posts/new/".into())
        );
        assert_eq!(
            resolve("/posts/caf%C3%A9", &s),
            Resolved::Redirect(StatusCode::FOUND, "/posts/caf%C3%A9/".into())
        );
    }

    #[test]
    fn unknown_paths_are_not_found() {
        let s = site();
        for p in [
            "/nope",
            "/nope/",
            "/style.css/",
            "/posts/",
            "/posts//new/",
            "//posts/new",
            "//posts/new/",
        ] {
            assert_eq!(resolve(p, &s), Resolved::NotFound, "{p}");
        }
    }

    #[test]
    fn only_local_hosts_pass_the_rebinding_guard() {
        for host in [
            "localhost",
            "localhost:1111",
            "127.0.0.1:1111",
            "10.0.0.2",
            "[::1]:1111",
            "blog.localhost:8080",
        ] {
            assert!(is_local_host(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:1111",
            "127.0.0.1.evil.example",
            "[evil]:80",
            "",
        ] {
            assert!(!is_local_host(host), "{host}");
        }
    }

    #[test]
    fn traversal_and_encoded_separators_are_refused() {
        let s = site();
        for p in [
            "/../site.toml",
            "/posts/../../etc/passwd",
            "/%2e%2e/site.toml",
            "/%2E%2E/%2e%2e/etc/passwd",
            "/posts/./new/",
            "/.%2e/x",
        ] {
            assert_eq!(resolve(p, &s), Resolved::Bad(BadPath::Traversal), "{p}");
        }
        for p in [
            "/..%2f..%2fetc/passwd",
            "/posts%2Fnew/",
            "/..%5c..%5cwindows",
            "/a\\b",
            "/a%5Cb",
            "/x%00.html",
            "/a%0ab",
        ] {
            assert_eq!(resolve(p, &s), Resolved::Bad(BadPath::Separator), "{p}");
        }
        assert_eq!(resolve("/%ff%fe", &s), Resolved::Bad(BadPath::Encoding));
    }
}
