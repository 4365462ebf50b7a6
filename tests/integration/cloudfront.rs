//! CloudFront invalidation through the real SDK against the local stub: the CreateInvalidation
//! XML (paths, quantity, caller reference), dry runs and empty plans sending nothing, and a
//! refused request reported as a failed invalidation with a retry hint.

use bucketpress::outputs::{Output, OutputKind, Outputs};
use bucketpress::publish::cloudfront::{InvalidationStatus, after_publish};
use bucketpress::publish::manifest::Manifest;
use bucketpress::publish::plan::{Plan, PlanOptions, plan};

use crate::cloudfront_stub::CloudFrontStub;

fn plan_of(keys: &[&str], old: &Manifest) -> Plan {
    let outputs: Outputs = keys
        .iter()
        .map(|k| Output::from_bytes(*k, k.as_bytes().to_vec(), OutputKind::Page))
        .collect();
    plan(&outputs, old, &PlanOptions::default()).unwrap()
}

#[tokio::test]
async fn an_invalidation_sends_the_reduced_paths() {
    let stub = CloudFrontStub::start().await;
    let plan = plan_of(
        &["index.html", "posts/new/index.html", "atom.xml"],
        &Manifest::new(),
    );
    let inv = after_publish(
        &stub.client(),
        "E2EXAMPLE",
        &plan,
        "https://blog.example.com/",
        false,
    )
    .await;
    assert_eq!(inv.status, InvalidationStatus::Created, "{inv:?}");
    assert_eq!(inv.id.as_deref(), Some("I2J0STUB"));
    let expected = [
        "/",
        "/atom.xml",
        "/index.html",
        "/posts/new/",
        "/posts/new/index.html",
    ];
    assert_eq!(inv.paths, expected);

    let calls = stub.calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.method, "POST");
    assert_eq!(call.path, "/2020-05-31/distribution/E2EXAMPLE/invalidation");
    assert!(call.signed, "CreateInvalidation must be SigV4-signed");
    assert_eq!(call.tags("Path"), expected);
    assert_eq!(call.tags("Quantity"), ["5"]);
    let reference = call.tags("CallerReference");
    assert_eq!(reference.len(), 1);
    assert!(reference[0].starts_with("bucketpress-"), "{reference:?}");
    assert!(call.body.contains("<InvalidationBatch"), "{}", call.body);
}

#[tokio::test]
async fn a_site_under_a_path_invalidates_under_that_path() {
    let stub = CloudFrontStub::start().await;
    let plan = plan_of(&["index.html"], &Manifest::new());
    let inv = after_publish(&stub.client(), "E1", &plan, "https://x.org/blog/", false).await;
    assert_eq!(inv.paths, ["/blog/", "/blog/index.html"]);
    assert_eq!(stub.calls()[0].tags("Path"), ["/blog/", "/blog/index.html"]);
}

#[tokio::test]
async fn dry_runs_and_empty_plans_send_nothing() {
    let stub = CloudFrontStub::start().await;
    let plan = plan_of(&["index.html"], &Manifest::new());
    let inv = after_publish(&stub.client(), "E1", &plan, "https://x.org/", true).await;
    assert_eq!(inv.status, InvalidationStatus::Planned);
    assert_eq!(inv.paths, ["/", "/index.html"]);

    let empty = plan_of(&[], &Manifest::new());
    let inv = after_publish(&stub.client(), "E1", &empty, "https://x.org/", false).await;
    assert_eq!(inv.status, InvalidationStatus::NotNeeded);
    assert!(inv.paths.is_empty());
    assert!(stub.calls().is_empty(), "{:?}", stub.calls());
}

#[tokio::test]
async fn a_refused_invalidation_is_reported_with_a_retry_hint() {
    let stub = CloudFrontStub::start().await;
    stub.fail_with(403, "AccessDenied");
    let plan = plan_of(&["a.html"], &Manifest::new());
    let inv = after_publish(&stub.client(), "E1", &plan, "https://x.org/", false).await;
    assert_eq!(inv.status, InvalidationStatus::Failed);
    let error = inv.error.clone().unwrap();
    assert!(error.contains("AccessDenied"), "{error}");
    assert!(error.contains("cloudfront:CreateInvalidation"), "{error}");
    let warning = inv.warning().unwrap();
    assert!(
        warning
            .contains("aws cloudfront create-invalidation --distribution-id E1 --paths '/a.html'"),
        "{warning}"
    );
    // Not retried: access denied is not transient.
    assert_eq!(stub.calls().len(), 1);
}
