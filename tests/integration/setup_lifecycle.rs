//! `setup-bucket`'s lifecycle rule (issue #15): unfinished multipart uploads under the site
//! prefix are aborted after a day; the bucket's other rules are kept, whatever they are.

use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleFilter,
};
use bucketpress::publish::bucket_rules::{ABORT_RULE_ID, our_rules};
use bucketpress::publish::setup::{Setup, State, setup};

use crate::strict_s3;

fn user_rule(id: &str, prefix: &str, days: i32) -> LifecycleRule {
    LifecycleRule::builder()
        .id(id)
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix(prefix).build())
        .expiration(LifecycleExpiration::builder().days(days).build())
        .build()
        .unwrap()
}

async fn rules(client: &aws_sdk_s3::Client, bucket: &str) -> Vec<LifecycleRule> {
    client
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
        .unwrap()
        .rules()
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_abort_rule_is_merged_into_the_users_rules_once() {
    let server = strict_s3::start("us-east-1").await;
    let client = server.client();
    client
        .create_bucket()
        .bucket("life-bucket")
        .send()
        .await
        .unwrap();
    let theirs = vec![
        user_rule("expire-logs", "logs/", 30),
        user_rule("tmp", "tmp/", 1),
    ];
    client
        .put_bucket_lifecycle_configuration()
        .bucket("life-bucket")
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .set_rules(Some(theirs.clone()))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let s = Setup {
        bucket: "life-bucket".into(),
        prefix: "blog/".into(),
        region: "us-east-1".into(),
        region_configured: true,
        custom_endpoint: true,
        path_style: true,
        public: false,
        dry_run: false,
        replace_error_document: false,
        names: Vec::new(),
    };

    // A dry run says what it would send and sends nothing.
    server.reset();
    let dry = Setup {
        dry_run: true,
        ..s.clone()
    };
    let steps = setup(&client, &dry).await.unwrap();
    let step = steps
        .iter()
        .find(|x| x.subject == "lifecycle rule")
        .unwrap();
    assert_eq!(step.state, State::WouldDo);
    assert!(step.call.contains("2 other rules kept"), "{}", step.call);
    assert!(server.writes().is_empty(), "{:?}", server.writes());

    let steps = setup(&client, &s).await.unwrap();
    let step = steps
        .iter()
        .find(|x| x.subject == "lifecycle rule")
        .unwrap();
    assert_eq!(step.state, State::Done);
    let mut want = theirs.clone();
    want.extend(our_rules("blog/"));
    assert_eq!(rules(&client, "life-bucket").await, want);
    let ours = &rules(&client, "life-bucket").await[2];
    assert_eq!(ours.id(), Some(ABORT_RULE_ID));
    assert_eq!(
        ours.abort_incomplete_multipart_upload()
            .and_then(|a| a.days_after_initiation()),
        Some(1)
    );

    // Again: nothing to write.
    server.reset();
    let steps = setup(&client, &s).await.unwrap();
    assert!(
        steps.iter().all(|x| x.state == State::AlreadySet),
        "{steps:?}"
    );
    assert!(server.writes().is_empty(), "{:?}", server.writes());

    // The site moves to another prefix: our rule follows, theirs stay.
    let moved = Setup {
        prefix: "site/".into(),
        ..s
    };
    setup(&client, &moved).await.unwrap();
    let mut want = theirs;
    want.extend(our_rules("site/"));
    assert_eq!(rules(&client, "life-bucket").await, want);
}
