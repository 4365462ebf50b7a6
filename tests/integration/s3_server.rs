//! An in-process S3 server for tests: `s3s` + `s3s-fs` 0.14 on 127.0.0.1 (ephemeral port),
//! SigV4 authentication on, serving a temporary directory, with every request logged so tests
//! can assert request budgets.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::{S3Service, S3ServiceBuilder};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use bucketpress::publish::s3::S3Target;

/// The access key the server accepts.
pub const ACCESS_KEY: &str = "AKIDBUCKETPRESSTEST";
/// Its secret.
pub const SECRET_KEY: &str = "bucketpress-test-secret-key";
/// The region clients sign for.
pub const REGION: &str = "us-east-1";
/// The bucket [`S3Server::start`] creates.
pub const BUCKET: &str = "site";

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `GET`, `PUT`, `HEAD`, `POST`, `DELETE`.
    pub method: String,
    /// The path, e.g. `/site/blog/index.html` (path-style).
    pub path: String,
    /// The raw query string (`list-type=2`, `delete`, `uploadId=…`).
    pub query: String,
    /// True for a server-side copy (a PUT with `x-amz-copy-source`: no body sent).
    pub copy: bool,
}

impl Seen {
    /// True for requests that change the store.
    pub fn is_write(&self) -> bool {
        matches!(self.method.as_str(), "PUT" | "POST" | "DELETE")
    }
}

/// A running server; stops when dropped.
pub struct S3Server {
    /// `http://127.0.0.1:PORT`, to use with path-style addressing.
    pub endpoint: String,
    /// The directory the server stores buckets in (one subdirectory per bucket).
    pub root: TempDir,
    log: Arc<Mutex<Vec<Seen>>>,
    faults: Arc<Mutex<Vec<Fault>>>,
    task: JoinHandle<()>,
}

/// What an injected fault does to a matching request.
#[derive(Debug, Clone)]
pub enum FaultKind {
    /// Answer with this HTTP status and S3 error code (e.g. 503 `SlowDown`, 500
    /// `InternalError`), without reaching the store.
    Status(u16, String),
    /// Drop the connection without any response (the client sees a reset / closed connection).
    /// The request never reaches the store.
    Reset,
    /// Pass the request on to the store, then hold the response this long: with a delay longer
    /// than the client's attempt timeout, the write lands but the client gives up on it.
    Delay(std::time::Duration),
    /// Hold the request until the test adds a permit to the semaphore, then pass it on to the
    /// store (to order two clients' requests deterministically).
    Hold(Arc<tokio::sync::Semaphore>),
}

/// A planned fault: the next `times` requests matching `method` (any method when empty) and
/// whose path contains `pattern` (`/style.css`, `/posts/`, or empty for all) get `kind`.
#[derive(Debug, Clone)]
pub struct Fault {
    /// `PUT`, `GET`, ...; empty matches every method.
    pub method: String,
    /// A substring of the path (`/site/posts/a/index.html`); empty matches every path.
    pub pattern: String,
    /// How many matching requests to hit; `usize::MAX` for all of them.
    pub times: usize,
    /// What to do.
    pub kind: FaultKind,
}

impl Fault {
    /// A fault on `method` requests whose path contains `pattern`, `times` times.
    pub fn new(method: &str, pattern: &str, times: usize, kind: FaultKind) -> Fault {
        Fault {
            method: method.into(),
            pattern: pattern.into(),
            times,
            kind,
        }
    }

    fn matches(&self, seen: &Seen) -> bool {
        self.times > 0
            && (self.method.is_empty() || self.method == seen.method)
            && seen.path.contains(&self.pattern)
    }
}

/// The counting (and fault-injecting) wrapper around the s3s service.
#[derive(Clone)]
struct Counting {
    inner: S3Service,
    log: Arc<Mutex<Vec<Seen>>>,
    faults: Arc<Mutex<Vec<Fault>>>,
}

impl hyper::service::Service<hyper::Request<Incoming>> for Counting {
    type Response = s3s::HttpResponse;
    type Error = s3s::HttpError;
    type Future = <S3Service as hyper::service::Service<hyper::Request<Incoming>>>::Future;

    fn call(&self, req: hyper::Request<Incoming>) -> Self::Future {
        let seen = Seen {
            method: req.method().to_string(),
            path: req.uri().path().to_string(),
            query: req.uri().query().unwrap_or("").to_string(),
            copy: req.headers().contains_key("x-amz-copy-source"),
        };
        // The first matching fault with hits left wins; every request is logged either way.
        let fault = {
            let mut faults = self.faults.lock().unwrap();
            faults.iter_mut().find(|f| f.matches(&seen)).map(|f| {
                f.times -= 1;
                f.kind.clone()
            })
        };
        self.log.lock().unwrap().push(seen);
        // Each request runs to its end in a task of its own, as on a real store: a client that
        // disconnects (a publish killed mid-request) cannot cancel a copy half way and leave an
        // object whose bytes and stored checksum disagree (s3s-fs writes them in two steps).
        let inner = self.inner.clone();
        let atomic = move |req| async move {
            tokio::spawn(hyper::service::Service::call(&inner, req))
                .await
                .unwrap_or_else(|e| {
                    Err(s3s::HttpError::new(format!("handler panicked: {e}").into()))
                })
        };
        match fault {
            None => Box::pin(atomic(req)),
            Some(FaultKind::Status(status, code)) => {
                let body = format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code>\
                     <Message>injected by the test</Message></Error>"
                );
                let resp = hyper::Response::builder()
                    .status(status)
                    .header("content-type", "application/xml")
                    .body(s3s::Body::from(body))
                    .unwrap();
                Box::pin(async move { Ok(resp) })
            }
            // hyper closes the connection without writing a response when the service fails.
            Some(FaultKind::Reset) => Box::pin(async move {
                Err(s3s::HttpError::new(
                    "connection reset injected by the test".into(),
                ))
            }),
            Some(FaultKind::Hold(gate)) => Box::pin(async move {
                if let Ok(permit) = gate.acquire().await {
                    permit.forget();
                }
                atomic(req).await
            }),
            Some(FaultKind::Delay(delay)) => Box::pin(async move {
                let response = atomic(req).await;
                tokio::time::sleep(delay).await;
                response
            }),
        }
    }
}

impl S3Server {
    /// Starts a server with SigV4 auth and one empty bucket, [`BUCKET`].
    pub async fn start() -> S3Server {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(BUCKET)).unwrap();
        let fs = s3s_fs::FileSystem::new(root.path()).unwrap();
        S3Server::serve(root, fs).await
    }

    /// Serves any `s3s` implementation (e.g. a stricter wrapper around s3s-fs storing in
    /// `root`) with the same SigV4 auth, request log and fault injection.
    pub async fn serve(root: TempDir, s3: impl s3s::S3) -> S3Server {
        let mut builder = S3ServiceBuilder::new(s3);
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let log = Arc::new(Mutex::new(Vec::new()));
        let faults = Arc::new(Mutex::new(Vec::new()));
        let service = Counting {
            inner: builder.build(),
            log: log.clone(),
            faults: faults.clone(),
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let http = ConnBuilder::new(TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let conn = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        S3Server {
            endpoint,
            root,
            log,
            faults,
            task,
        }
    }

    /// A client with the right credentials.
    pub fn client(&self) -> Client {
        self.client_with(ACCESS_KEY, SECRET_KEY)
    }

    /// A client with the given credentials (for the wrong-credentials tests).
    pub fn client_with(&self, access_key: &str, secret_key: &str) -> Client {
        self.build_client(
            access_key,
            secret_key,
            bucketpress::publish::s3::DEFAULT_ATTEMPT_TIMEOUT,
        )
    }

    fn build_client(&self, access_key: &str, secret_key: &str, attempt: Duration) -> Client {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .credentials_provider(Credentials::new(access_key, secret_key, None, None, "test"))
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .force_path_style(true)
            // The production policy, with millisecond backoff so retry tests stay fast.
            .retry_config(
                bucketpress::publish::s3::retry_config()
                    .with_initial_backoff(Duration::from_millis(1))
                    .with_max_backoff(Duration::from_millis(5)),
            )
            .timeout_config(bucketpress::publish::s3::timeout_config(attempt))
            .build();
        Client::from_conf(config)
    }

    /// An S3 target on [`BUCKET`] under `prefix`.
    pub fn target(&self, prefix: &str) -> S3Target {
        S3Target::with_client(self.client(), BUCKET, prefix)
    }

    /// An S3 target whose client gives up on an attempt after `attempt` (for slow-response
    /// faults).
    pub fn target_with_attempt_timeout(&self, prefix: &str, attempt: Duration) -> S3Target {
        S3Target::with_client(
            self.build_client(ACCESS_KEY, SECRET_KEY, attempt),
            BUCKET,
            prefix,
        )
    }

    /// Every object in [`BUCKET`] under `prefix` (reserved `.bucketpress/` keys included), with
    /// its bucketpress hash metadata (`None` for objects without it), read through the S3 API.
    pub async fn objects(&self, prefix: &str) -> BTreeMap<String, Option<String>> {
        let client = self.client();
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let page = client
                .list_objects_v2()
                .bucket(BUCKET)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .unwrap();
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key())
                    .map(String::from),
            );
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
                _ => break,
            }
        }
        let mut out = BTreeMap::new();
        for key in keys {
            let head = client
                .head_object()
                .bucket(BUCKET)
                .key(&key)
                .send()
                .await
                .unwrap();
            let hash = head
                .metadata()
                .and_then(|m| m.get(bucketpress::publish::s3::HASH_METADATA))
                .cloned();
            out.insert(key, hash);
        }
        out
    }

    /// Answers the next `times` `method` requests whose path contains `pattern` with `status`
    /// and the S3 error code `code` (e.g. 503 `SlowDown`).
    pub fn inject(&self, method: &str, pattern: &str, times: usize, status: u16, code: &str) {
        self.fault(Fault::new(
            method,
            pattern,
            times,
            FaultKind::Status(status, code.into()),
        ));
    }

    /// Adds a fault (after those already planned: the first match wins).
    pub fn fault(&self, fault: Fault) {
        self.faults.lock().unwrap().push(fault);
    }

    /// Drops every planned fault.
    pub fn clear_faults(&self) {
        self.faults.lock().unwrap().clear();
    }

    /// Every request since the last [`reset`](Self::reset).
    pub fn requests(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }

    /// Forgets the requests seen so far.
    pub fn reset(&self) {
        self.log.lock().unwrap().clear();
    }

    /// The write requests since the last reset.
    pub fn writes(&self) -> Vec<Seen> {
        self.requests().into_iter().filter(Seen::is_write).collect()
    }

    /// How many requests had this method.
    pub fn count(&self, method: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method)
            .count()
    }

    /// The object keys (relative to the bucket) of the `PUT` requests, sorted.
    pub fn put_keys(&self) -> Vec<String> {
        let prefix = format!("/{BUCKET}/");
        let mut keys: Vec<String> = self
            .requests()
            .iter()
            .filter(|r| r.method == "PUT")
            .map(|r| r.path.strip_prefix(&prefix).unwrap_or(&r.path).to_string())
            .collect();
        keys.sort();
        keys
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Gives a `bucketpress` process the test credentials (`secret` as the secret key) and keeps
/// the host's AWS configuration out of it: empty config and credentials files written in
/// `dir`, no profile, session token or instance metadata.
pub fn isolate_aws_env<'c>(
    cmd: &'c mut std::process::Command,
    dir: &std::path::Path,
    secret: &str,
) -> &'c mut std::process::Command {
    let empty = dir.join("aws-empty-config");
    std::fs::write(&empty, "").expect("write an empty AWS config");
    cmd.env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", &empty)
        .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
        .env("AWS_EC2_METADATA_DISABLED", "true")
}
