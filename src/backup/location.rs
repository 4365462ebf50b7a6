//! Where a site's backups live and the connection to them (the same [`S3Settings`] and
//! client as publish).

use std::path::{Path, PathBuf};

use super::{BackupError, BackupKey, Store, key};
use crate::config::Config;
use crate::publish::TargetSpec;
use crate::publish::manifest::RESERVED_PREFIX;
use crate::publish::s3::{self, S3Settings, S3Target};

/// Where backups go and how to connect (shared by `backup` and `restore`).
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// The backup location (`None`: backup.bucket/backup.prefix in site.toml, else the publish
    /// bucket under `<publish prefix>.bucketpress/backups/`).
    pub to: Option<String>,
    /// The backup key file (`None`: $BUCKETPRESS_BACKUP_KEY_FILE, else
    /// ~/.config/bucketpress/backup-key.txt).
    pub key: Option<PathBuf>,
    /// The AWS profile (`None`: publish.profile in site.toml, then AWS_PROFILE).
    pub profile: Option<String>,
}

/// Where the backups of a site live: `--to`, else `[backup]`, else
/// `<publish prefix>.bucketpress/backups/` in the publish bucket. A location that would lie
/// inside the published (possibly public) site but outside its private `.bucketpress/` is
/// refused.
pub fn resolve_location(to: Option<&str>, config: &Config) -> Result<(String, String), String> {
    let publish = &config.publish;
    let publish_prefix = s3::normalize_prefix(&publish.prefix);
    let (bucket, prefix) = match to {
        Some(url) => match TargetSpec::parse(url)?.s3() {
            Some((bucket, prefix)) => (bucket.to_string(), prefix.to_string()),
            None => return Err(format!("{url:?}: backups go to s3:// only")),
        },
        None if config.backup.bucket.is_some() || config.backup.prefix.is_some() => {
            let bucket = config.backup.bucket.as_ref().or(publish.bucket.as_ref());
            let prefix = config.backup.prefix.as_deref().unwrap_or_default();
            (
                bucket.cloned().unwrap_or_default(),
                s3::normalize_prefix(prefix),
            )
        }
        None => (
            publish.bucket.clone().unwrap_or_default(),
            format!("{publish_prefix}{RESERVED_PREFIX}backups/"),
        ),
    };
    if bucket.is_empty() {
        return Err(
            "nowhere to back up to: pass --to s3://bucket/prefix, or set bucket in \
                    the [backup] or [publish] section of site.toml"
                .into(),
        );
    }
    let private = format!("{publish_prefix}{RESERVED_PREFIX}");
    if publish.bucket.as_ref() == Some(&bucket)
        && prefix.starts_with(&publish_prefix)
        && !prefix.starts_with(&private)
    {
        return Err(format!(
            "backup location s3://{bucket}/{prefix} is inside the published site \
             (s3://{bucket}/{publish_prefix}), which setup-bucket --public makes readable by \
             everyone: use a prefix under {private} or outside the site"
        ));
    }
    Ok((bucket, prefix))
}

/// The site's configuration: site.toml when there is one; without it the defaults (a restore
/// onto a new machine names the location with `--from`).
pub fn site_config(site: &Path) -> Result<Config, BackupError> {
    if !site.join(crate::config::CONFIG_FILE).exists() {
        return Ok(Config::default());
    }
    Config::load(site)
        .map(|l| l.config)
        .map_err(|d| BackupError::Usage(d.to_string()))
}

/// Connects to the backup location `opts` names with `[publish]`'s connection settings.
pub async fn open(opts: &StoreOptions, config: &Config) -> Result<Store, BackupError> {
    let key_path = key::key_path(opts.key.as_deref())?;
    let key = BackupKey::load(&key_path)?;
    let (bucket, prefix) =
        resolve_location(opts.to.as_deref(), config).map_err(BackupError::Usage)?;
    let mut cfg = config.publish.clone();
    if let Some(p) = &opts.profile {
        cfg.profile = Some(p.clone());
    }
    let settings = S3Settings::from_config(&bucket, &prefix, &cfg);
    Ok(Store::new(S3Target::connect(&settings).await, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(bucket: &str, prefix: &str) -> Config {
        let mut c = Config::default_for_test();
        c.publish.bucket = Some(bucket.into()).filter(|b: &String| !b.is_empty());
        c.publish.prefix = prefix.into();
        c
    }

    #[test]
    fn backups_default_to_the_private_prefix() {
        let loc = |to: Option<&str>, c: &Config| resolve_location(to, c);
        assert_eq!(
            loc(None, &config("b", "")).unwrap(),
            ("b".into(), ".bucketpress/backups/".into())
        );
        assert_eq!(
            loc(None, &config("b", "blog")).unwrap(),
            ("b".into(), "blog/.bucketpress/backups/".into())
        );
        assert_eq!(
            loc(Some("s3://other/x"), &config("b", "")).unwrap(),
            ("other".into(), "x/".into())
        );
        let mut c = config("b", "blog");
        c.backup.prefix = Some("backups".into());
        assert_eq!(loc(None, &c).unwrap(), ("b".into(), "backups/".into()));
        c.backup.bucket = Some("vault".into());
        assert_eq!(loc(None, &c).unwrap(), ("vault".into(), "backups/".into()));
        assert!(loc(None, &config("", "")).is_err());
        assert!(loc(Some("file:///tmp/x"), &config("b", "")).is_err());
    }

    #[test]
    fn backups_inside_the_public_site_are_refused() {
        let err = resolve_location(Some("s3://b/backups"), &config("b", "")).unwrap_err();
        assert!(err.contains("inside the published site"), "{err}");
        assert!(resolve_location(Some("s3://b/blog/old"), &config("b", "blog")).is_err());
        assert!(resolve_location(Some("s3://b/blog-backups"), &config("b", "blog")).is_ok());
        assert!(resolve_location(Some("s3://b/.bucketpress/mine"), &config("b", "")).is_ok());
        assert!(resolve_location(Some("s3://c/backups"), &config("b", "")).is_ok());
    }
}
