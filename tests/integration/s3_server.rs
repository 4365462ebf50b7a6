//! An in-process S3 server for tests: `s3s` + `s3s-fs` 0.14 on 127.0.0.1 (ephemeral port),
//! SigV4 authentication on, serving a temporary directory, with every request logged so tests
//! can assert request budgets.

use std::sync::{Arc, Mutex};

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

/// A planned failure: the next `times` requests of `method` whose path ends with `suffix` are
/// answered with `status` and the S3 error `code`, without reaching the store.
#[derive(Debug, Clone)]
struct Fault {
    method: String,
    suffix: String,
    times: usize,
    status: u16,
    code: String,
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
        };
        let fault = {
            let mut faults = self.faults.lock().unwrap();
            faults
                .iter_mut()
                .find(|f| f.times > 0 && f.method == seen.method && seen.path.ends_with(&f.suffix))
                .map(|f| {
                    f.times -= 1;
                    f.clone()
                })
        };
        self.log.lock().unwrap().push(seen);
        if let Some(f) = fault {
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{}</Code>\
                 <Message>injected by the test</Message></Error>",
                f.code
            );
            let resp = hyper::Response::builder()
                .status(f.status)
                .header("content-type", "application/xml")
                .body(s3s::Body::from(body))
                .unwrap();
            return Box::pin(async move { Ok(resp) });
        }
        hyper::service::Service::call(&self.inner, req)
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
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .credentials_provider(Credentials::new(access_key, secret_key, None, None, "test"))
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .force_path_style(true)
            // The production policy, with millisecond backoff so retry tests stay fast.
            .retry_config(
                bucketpress::publish::s3::retry_config()
                    .with_initial_backoff(std::time::Duration::from_millis(1))
                    .with_max_backoff(std::time::Duration::from_millis(5)),
            )
            .build();
        Client::from_conf(config)
    }

    /// An S3 target on [`BUCKET`] under `prefix`.
    pub fn target(&self, prefix: &str) -> S3Target {
        S3Target::with_client(self.client(), BUCKET, prefix)
    }

    /// Answers the next `times` `method` requests whose path ends with `suffix` with `status`
    /// and the S3 error `code` (e.g. 503 `SlowDown`).
    pub fn inject(&self, method: &str, suffix: &str, times: usize, status: u16, code: &str) {
        self.faults.lock().unwrap().push(Fault {
            method: method.into(),
            suffix: suffix.into(),
            times,
            status,
            code: code.into(),
        });
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
