//! Every attempt of every S3 request, counted and, when it is a retry, reported: an SDK
//! interceptor on the target's client counts what really went on the wire (retries
//! included, so a summary's request count is the truth) and prints one line per retry
//! (`retrying GetObject s3://site/.bucketpress/manifest.json (2/5): timed out after 10 s`)
//! so a store that stopped answering is never minutes of silence.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use aws_sdk_s3::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::BoxError;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

use super::errors::chain;
use crate::report::Reporter;

/// What the attempts of one target's client share: the count and whether to print.
#[derive(Debug, Default)]
struct Shared {
    sent: AtomicU64,
    retried: AtomicU64,
    quiet: AtomicBool,
}

/// The interceptor (cheap to clone: the count is shared).
#[derive(Debug, Clone)]
pub struct Attempts {
    shared: Arc<Shared>,
    bucket: String,
}

/// Why the previous attempt of this execution failed, kept in the execution's config bag.
#[derive(Debug, Clone)]
struct LastFailure(String);

impl Storable for LastFailure {
    type Storer = StoreReplace<Self>;
}

impl Attempts {
    /// A fresh counter for requests to `bucket` (named in the retry lines).
    pub fn new(bucket: &str) -> Attempts {
        Attempts {
            shared: Arc::default(),
            bucket: bucket.to_string(),
        }
    }

    /// Requests sent so far, every retry included.
    pub fn sent(&self) -> u64 {
        self.shared.sent.load(Ordering::Relaxed)
    }

    /// Retries sent so far (attempts after the first of a request).
    pub fn retried(&self) -> u64 {
        self.shared.retried.load(Ordering::Relaxed)
    }

    /// Stops (or resumes) the retry lines (`--quiet`).
    pub fn set_quiet(&self, quiet: bool) {
        self.shared.quiet.store(quiet, Ordering::Relaxed);
    }

    /// `GetObject s3://bucket/key` from the request about to be sent.
    fn what(&self, ctx: &BeforeTransmitInterceptorContextRef<'_>, cfg: &ConfigBag) -> String {
        let operation = cfg
            .load::<aws_smithy_runtime_api::client::orchestrator::Metadata>()
            .map_or("request", |m| m.name());
        let uri = ctx.request().uri();
        let path = uri.split('?').next().unwrap_or("");
        let path = path
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or(path);
        // Path-style URIs name the bucket first; virtual-hosted ones only the key.
        let key = path
            .strip_prefix('/')
            .unwrap_or(path)
            .strip_prefix(self.bucket.as_str())
            .map_or(path, |rest| rest)
            .trim_start_matches('/');
        let key = percent_encoding::percent_decode_str(key).decode_utf8_lossy();
        format!("{operation} s3://{}/{key}", self.bucket)
    }
}

impl Intercept for Attempts {
    fn name(&self) -> &'static str {
        "bucketpress-attempts"
    }

    fn read_before_attempt(
        &self,
        ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let attempt = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        if attempt >= 2 {
            self.shared.retried.fetch_add(1, Ordering::Relaxed);
        }
        if attempt < 2 || self.shared.quiet.load(Ordering::Relaxed) {
            return Ok(());
        }
        let max = cfg.load::<RetryConfig>().map_or(0, |r| r.max_attempts());
        let why = cfg
            .load::<LastFailure>()
            .map_or_else(|| "failed".to_string(), |f| f.0.clone());
        let line = format!("retrying {} ({attempt}/{max}): {why}", self.what(ctx, cfg));
        Reporter {
            quiet: false,
            verbose: false,
            interactive: false,
        }
        .status(line);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.shared.sent.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn read_after_attempt(
        &self,
        ctx: &FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let timeouts = cfg.load::<TimeoutConfig>();
        let attempt_timeout = timeouts.and_then(TimeoutConfig::operation_attempt_timeout);
        let connect_timeout = timeouts.and_then(TimeoutConfig::connect_timeout);
        let why = match ctx.output_or_error() {
            Some(Err(e)) if e.is_timeout_error() => match attempt_timeout {
                Some(t) => format!("timed out after {}", seconds(t)),
                None => "timed out".to_string(),
            },
            Some(Err(e)) if e.as_connector_error().is_some_and(|c| c.is_timeout()) => {
                match connect_timeout {
                    Some(t) => format!("could not connect within {}", seconds(t)),
                    None => "connecting timed out".to_string(),
                }
            }
            Some(Err(e)) if e.is_connector_error() => {
                format!("connection failed: {}", chain(e))
            }
            Some(Err(e)) => match ctx.response() {
                Some(r) => {
                    let code = r.body().bytes().and_then(error_code);
                    match code {
                        Some(code) => format!("HTTP {} {code}", r.status().as_u16()),
                        None => format!("HTTP {}", r.status().as_u16()),
                    }
                }
                None => chain(e),
            },
            _ => return Ok(()),
        };
        cfg.interceptor_state().store_put(LastFailure(why));
        Ok(())
    }
}

/// `10 s`, `0.3 s`.
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// The `<Code>` of an S3 XML error body.
fn error_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let end = start + text[start..].find("</Code>")?;
    Some(text[start..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_codes_read_plainly() {
        assert_eq!(seconds(Duration::from_secs(10)), "10 s");
        assert_eq!(seconds(Duration::from_millis(300)), "0.3 s");
        assert_eq!(
            error_code(b"<Error><Code>SlowDown</Code><Message>m</Message></Error>").as_deref(),
            Some("SlowDown")
        );
        assert_eq!(error_code(b"not xml"), None);
    }
}
