//! Mapping aws-sdk-s3 errors (service codes, HTTP statuses, dispatch failures) to
//! [`TargetError`] variants, like docs.rs `storage/s3.rs` does for its own NotFound.

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use super::S3Target;
use crate::publish::target::TargetError;

impl S3Target {
    /// Maps a failed request to a [`TargetError`]; `what` names it in the message.
    pub(crate) fn classify<E>(&self, err: SdkError<E, HttpResponse>, what: &str) -> TargetError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        // No credentials anywhere in the chain surfaces as a dispatch failure whose source is
        // a CredentialsError: not something a retry fixes.
        if let Some(cred) = find_source::<CredentialsError>(&err) {
            return TargetError::InvalidCredentials(format!(
                "{what}: {}",
                credentials_problem(cred)
            ));
        }
        match &err {
            SdkError::TimeoutError(_) => {
                let attempts = self
                    .client
                    .config()
                    .retry_config()
                    .map_or(1, |r| r.max_attempts());
                TargetError::Unreachable(format!(
                    "{what}: timed out: no answer within {} on any of {attempts} attempts (is the endpoint \
                     right and the store up? [publish] timeout sets how long to wait)",
                    super::seconds(self.attempt_timeout)
                ))
            }
            SdkError::DispatchFailure(_) => {
                let text = chain(&err);
                let unresolved = text.contains("dns error")
                    || text.contains("failed to lookup address")
                    || text.contains("Name or service not known");
                let hint = match (unresolved, self.virtual_hosted_endpoint) {
                    (true, true) => {
                        format!(
                            " (the host name does not resolve: with a custom endpoint, requests \
                             go to {}.<endpoint host> unless path_style = true in [publish]; \
                             most S3-compatible stores need it)",
                            self.bucket
                        )
                    }
                    (true, false) => " (the host name does not resolve: check [publish] \
                                      endpoint, or the network's DNS)"
                        .to_string(),
                    _ => String::new(),
                };
                TargetError::Unreachable(format!("{what}: {text}{hint}"))
            }
            SdkError::ConstructionFailure(_) => {
                TargetError::Other(format!("{what}: {}", chain(&err)))
            }
            _ => {
                let status = err.raw_response().map(|r| r.status().as_u16());
                let code = err.code().map(str::to_owned);
                let detail = match (&code, err.message()) {
                    (Some(c), Some(m)) => format!("{what}: {c}: {m}"),
                    (Some(c), None) => format!("{what}: {c}"),
                    _ => format!("{what}: {}", chain(&err)),
                };
                classify_code(code.as_deref(), status, detail, &self.bucket)
            }
        }
    }
}

/// One line for a credential chain that gave nothing: its Display lists every provider
/// with a Debug dump of the last one's failure, which says nothing a user can act on.
fn credentials_problem(err: &CredentialsError) -> String {
    match err {
        CredentialsError::CredentialsNotLoaded(_) | CredentialsError::ProviderError(_) => {
            "no AWS credentials found (tried the environment, the shared config and \
             credentials files, web identity, ECS and instance metadata)"
                .to_string()
        }
        CredentialsError::ProviderTimedOut(_) => {
            "no AWS credentials found: the credential provider timed out".to_string()
        }
        other => {
            let text = chain(other);
            let first = text.split(" (").next().unwrap_or(&text);
            format!("the credentials could not be loaded: {first}")
        }
    }
}

/// The first error of type `T` in `err`'s source chain (including `err`).
fn find_source<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// An error and its sources on one line (`a: b: c`), without Debug dumps.
pub(super) fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(err);
    while let Some(e) = current {
        let text = e.to_string().replace('\n', " ");
        if !text.is_empty() && parts.last() != Some(&text) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

/// Maps an S3 error code / HTTP status to a [`TargetError`] (pure; unit-tested).
pub fn classify_code(
    code: Option<&str>,
    status: Option<u16>,
    detail: String,
    bucket: &str,
) -> TargetError {
    match (code, status) {
        (Some("NoSuchBucket"), _) => TargetError::NoSuchBucket(bucket.to_string()),
        (Some("NoSuchKey" | "NotFound" | "NoSuchUpload"), _) | (None, Some(404)) => {
            TargetError::NotFound(detail)
        }
        (Some("PreconditionFailed" | "ConditionalRequestConflict"), _) | (_, Some(412)) => {
            TargetError::Conflict
        }
        (
            Some(
                "InvalidAccessKeyId"
                | "SignatureDoesNotMatch"
                | "ExpiredToken"
                | "InvalidToken"
                | "TokenRefreshRequired"
                | "NotSignedUp"
                | "InvalidSecurity",
            ),
            _,
        ) => TargetError::InvalidCredentials(detail),
        (Some("AccessDenied" | "AllAccessDisabled" | "AccountProblem"), _) | (_, Some(403)) => {
            TargetError::AccessDenied(detail)
        }
        (
            Some(
                "SlowDown"
                | "Throttling"
                | "ThrottlingException"
                | "RequestTimeout"
                | "InternalError"
                | "ServiceUnavailable"
                | "RequestTimeTooSkewed",
            ),
            _,
        )
        | (_, Some(429 | 500..=599)) => TargetError::Transient(detail),
        (Some("PermanentRedirect" | "AuthorizationHeaderMalformed"), _) | (_, Some(301)) => {
            TargetError::Other(format!(
                "{detail} (is [publish] region the bucket's region?)"
            ))
        }
        _ => TargetError::Other(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_variants() {
        let c = |code: Option<&str>, status| classify_code(code, status, "x".into(), "b");
        assert_eq!(
            c(Some("NoSuchBucket"), Some(404)),
            TargetError::NoSuchBucket("b".into())
        );
        assert!(matches!(
            c(Some("NoSuchKey"), Some(404)),
            TargetError::NotFound(_)
        ));
        assert!(matches!(c(None, Some(404)), TargetError::NotFound(_)));
        assert_eq!(
            c(Some("PreconditionFailed"), Some(412)),
            TargetError::Conflict
        );
        assert_eq!(c(None, Some(412)), TargetError::Conflict);
        assert!(matches!(
            c(Some("SignatureDoesNotMatch"), Some(403)),
            TargetError::InvalidCredentials(_)
        ));
        assert!(matches!(
            c(Some("InvalidAccessKeyId"), Some(403)),
            TargetError::InvalidCredentials(_)
        ));
        assert!(matches!(
            c(Some("AccessDenied"), Some(403)),
            TargetError::AccessDenied(_)
        ));
        assert!(matches!(c(None, Some(403)), TargetError::AccessDenied(_)));
        assert!(matches!(
            c(Some("SlowDown"), Some(503)),
            TargetError::Transient(_)
        ));
        assert!(matches!(c(None, Some(500)), TargetError::Transient(_)));
        assert!(matches!(c(Some("Weird"), Some(400)), TargetError::Other(_)));
    }
}
