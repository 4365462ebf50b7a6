//! A small CloudFront stand-in on 127.0.0.1 (axum, ephemeral port) that records every
//! request and answers CreateInvalidation like CloudFront does (201 + `<Invalidation>`), or
//! with an error the test asks for.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::task::JoinHandle;

/// One request as the stub saw it.
#[derive(Debug, Clone)]
pub struct Call {
    /// `POST`.
    pub method: String,
    /// `/2020-05-31/distribution/<id>/invalidation`.
    pub path: String,
    /// The XML body.
    pub body: String,
    /// Whether a SigV4 `Authorization` header was sent.
    pub signed: bool,
}

impl Call {
    /// The text of every `<tag>…</tag>` in the body, in order.
    pub fn tags(&self, tag: &str) -> Vec<String> {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        let mut out = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(i) = rest.find(&open) {
            let after = &rest[i + open.len()..];
            let Some(j) = after.find(&close) else { break };
            out.push(after[..j].to_string());
            rest = &after[j + close.len()..];
        }
        out
    }
}

/// A running stub; stops when dropped.
pub struct CloudFrontStub {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    calls: Arc<Mutex<Vec<Call>>>,
    failure: Arc<Mutex<Option<(u16, String)>>>,
    task: JoinHandle<()>,
}

impl CloudFrontStub {
    /// Starts the stub.
    pub async fn start() -> CloudFrontStub {
        let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
        let failure: Arc<Mutex<Option<(u16, String)>>> = Arc::default();
        let (c, f) = (calls.clone(), failure.clone());
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (calls, failure) = (c.clone(), f.clone());
                async move {
                    let call = Call {
                        method: method.to_string(),
                        path: uri.path().to_string(),
                        body: String::from_utf8_lossy(&body).into_owned(),
                        signed: headers.get("authorization").is_some_and(|v| {
                            v.to_str().unwrap_or("").starts_with("AWS4-HMAC-SHA256")
                        }),
                    };
                    calls.lock().unwrap().push(call.clone());
                    let fail = failure.lock().unwrap().clone();
                    answer(&call, fail)
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        CloudFrontStub {
            endpoint,
            calls,
            failure,
            task,
        }
    }

    /// Every request so far.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// Answers every later request with `status` and the CloudFront error `code`.
    pub fn fail_with(&self, status: u16, code: &str) {
        *self.failure.lock().unwrap() = Some((status, code.to_string()));
    }

    /// A client signed with test credentials, pointed at the stub.
    pub fn client(&self) -> aws_sdk_cloudfront::Client {
        use aws_sdk_cloudfront::config::{BehaviorVersion, Credentials, Region};
        let config = aws_sdk_cloudfront::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .build();
        aws_sdk_cloudfront::Client::from_conf(config)
    }
}

impl Drop for CloudFrontStub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const NS: &str = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

fn answer(call: &Call, failure: Option<(u16, String)>) -> Response {
    if let Some((status, code)) = failure {
        let body = format!(
            "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"{NS}\"><Error><Type>Sender</Type>\
             <Code>{code}</Code><Message>injected by the test</Message></Error>\
             <RequestId>stub</RequestId></ErrorResponse>"
        );
        return (
            StatusCode::from_u16(status).unwrap(),
            [("content-type", "text/xml")],
            body,
        )
            .into_response();
    }
    if call.method != "POST" || !call.path.ends_with("/invalidation") {
        return (StatusCode::NOT_FOUND, "unexpected request").into_response();
    }
    // Echo the batch back, as CloudFront does.
    let batch = call
        .body
        .find("<Paths>")
        .and_then(|i| {
            call.body
                .rfind("</InvalidationBatch>")
                .map(|j| &call.body[i..j])
        })
        .unwrap_or("");
    let body = format!(
        "<?xml version=\"1.0\"?><Invalidation xmlns=\"{NS}\"><Id>I2J0STUB</Id>\
         <Status>InProgress</Status><CreateTime>2026-01-01T00:00:00Z</CreateTime>\
         <InvalidationBatch>{batch}</InvalidationBatch></Invalidation>"
    );
    let location = format!("{}/I2J0STUB", call.path);
    (
        StatusCode::CREATED,
        [
            ("content-type", "text/xml"),
            ("location", location.as_str()),
        ],
        body,
    )
        .into_response()
}
