//! `check --external`: every `http(s)` link of the site asked about once, concurrently and
//! politely: a few requests per host at a time, `HEAD` first (`GET` when a server refuses
//! `HEAD`), retries with backoff on network errors and 5xx, and a `429` answered by waiting
//! its `Retry-After`. Links found good are kept in a cache file for some days, so a re-run
//! asks only about new links (and those that failed).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use super::LinksConfig;

/// Where the cache of good links lives, under the site folder.
pub(crate) const CACHE_FILE: &str = ".bucketpress/cache/external-links.json";

/// The most a `Retry-After` is waited for; a server asking for more counts as a failure.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How a request for a link is made.
#[derive(Debug, Clone)]
pub struct Options {
    /// Requests in flight at once, over all hosts.
    pub concurrency: usize,
    /// Requests in flight at once to one host.
    pub per_host: usize,
    /// How long one request may take.
    pub timeout: Duration,
    /// Attempts after the first, for network errors, 5xx and 429.
    pub retries: u32,
    /// The first backoff between attempts (doubled each time) when the server says nothing.
    pub backoff: Duration,
}

impl Options {
    /// The options `[links]` asks for.
    pub fn from_config(config: &LinksConfig) -> Options {
        Options {
            concurrency: config.external_concurrency.max(1),
            per_host: config.external_per_host.max(1),
            timeout: Duration::from_secs(config.external_timeout.max(1)),
            retries: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

/// What asking about a link found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It answers (2xx, after redirects).
    Good,
    /// It does not: `404 Not Found`, `timed out`, …
    Bad(String),
}

/// Links found good, with when (seconds since the epoch): the cache file's content.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Cache {
    /// URL → when it was last found good.
    good: BTreeMap<String, i64>,
    #[serde(skip)]
    path: PathBuf,
}

impl Cache {
    /// The cache of the site in `site_dir` (empty when there is none or it cannot be read:
    /// the links are then asked about again).
    pub fn load(site_dir: &Path) -> Cache {
        let path = site_dir.join(CACHE_FILE);
        let mut cache: Cache = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        cache.path = path;
        cache
    }

    /// True when `url` was found good less than `max_age` before `now`.
    pub fn is_fresh(&self, url: &str, now: i64, max_age: Duration) -> bool {
        self.good
            .get(url)
            .is_some_and(|&t| now - t < max_age.as_secs() as i64)
    }

    /// Records the verdicts of a run at `now`: good links are remembered, bad ones forgotten.
    pub fn record(&mut self, verdicts: &[(String, Verdict)], now: i64) {
        for (url, verdict) in verdicts {
            match verdict {
                Verdict::Good => {
                    self.good.insert(url.clone(), now);
                }
                Verdict::Bad(_) => {
                    self.good.remove(url);
                }
            }
        }
    }

    /// Writes the cache file (atomically: a temporary file renamed over it).
    pub fn save(&self) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(&tmp, &self.path)
    }
}

/// Asks about every URL of `urls` (each once), at most `opts.concurrency` at a time and
/// `opts.per_host` per host; the verdicts come in the order of `urls`.
pub async fn check_urls(urls: &[String], opts: &Options) -> Vec<(String, Verdict)> {
    let client = match reqwest::Client::builder()
        .timeout(opts.timeout)
        .redirect(reqwest::redirect::Policy::limited(10))
        .user_agent(concat!("bucketpress-linkcheck/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            let why = format!("cannot make an HTTP client: {e}");
            return urls
                .iter()
                .map(|u| (u.clone(), Verdict::Bad(why.clone())))
                .collect();
        }
    };
    let all = Arc::new(Semaphore::new(opts.concurrency));
    let mut hosts: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, url) in urls.iter().enumerate() {
        let host = host_of(url);
        let host = hosts
            .entry(host)
            .or_insert_with(|| Arc::new(Semaphore::new(opts.per_host)))
            .clone();
        let (client, all, url, opts) = (client.clone(), all.clone(), url.clone(), opts.clone());
        tasks.spawn(async move {
            let verdict = ask(&client, &url, &all, &host, &opts).await;
            (i, verdict)
        });
    }
    let mut verdicts: Vec<Option<Verdict>> = vec![None; urls.len()];
    while let Some(done) = tasks.join_next().await {
        if let Ok((i, verdict)) = done {
            verdicts[i] = Some(verdict);
        }
    }
    urls.iter()
        .zip(verdicts)
        .map(|(u, v)| {
            let v = v.unwrap_or_else(|| Verdict::Bad("the check stopped unexpectedly".into()));
            (u.clone(), v)
        })
        .collect()
}

/// The host (and port) of a URL, for the per-host limit.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// One link, with its retries. A permit of both limits is held for each request only, not
/// while waiting between attempts.
async fn ask(
    client: &reqwest::Client,
    url: &str,
    all: &Semaphore,
    host: &Semaphore,
    opts: &Options,
) -> Verdict {
    let mut backoff = opts.backoff;
    let mut attempt = 0;
    loop {
        let answer = {
            let (Ok(_host), Ok(_all)) = (host.acquire().await, all.acquire().await) else {
                return Verdict::Bad("the check stopped unexpectedly".into());
            };
            request(client, url).await
        };
        let wait = match answer {
            Ok(resp) => {
                let status = resp.status();
                if status.is_success() || status.is_redirection() {
                    return Verdict::Good;
                }
                let said = status_text(status);
                if attempt >= opts.retries {
                    return Verdict::Bad(said);
                }
                if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                    match retry_after(resp.headers()) {
                        Some(w) if w > MAX_RETRY_AFTER => {
                            return Verdict::Bad(format!(
                                "{said} (asked to wait {} s)",
                                w.as_secs()
                            ));
                        }
                        Some(w) => w,
                        None => backoff,
                    }
                } else if status.is_server_error() {
                    backoff
                } else {
                    return Verdict::Bad(said);
                }
            }
            Err(e) => {
                if attempt >= opts.retries {
                    return Verdict::Bad(network_text(&e));
                }
                backoff
            }
        };
        tokio::time::sleep(wait).await;
        backoff *= 2;
        attempt += 1;
    }
}

/// `HEAD`, or `GET` when the server refuses `HEAD` (405, 501, and the 403 some CDNs give).
async fn request(client: &reqwest::Client, url: &str) -> reqwest::Result<reqwest::Response> {
    let head = client.head(url).send().await?;
    match head.status().as_u16() {
        403 | 405 | 501 => client.get(url).send().await,
        _ => Ok(head),
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let secs = (at.timestamp() - chrono::Utc::now().timestamp()).max(0);
    Some(Duration::from_secs(secs as u64))
}

fn status_text(status: reqwest::StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

fn network_text(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "cannot connect".into()
    } else if e.is_redirect() {
        "too many redirects".into()
    } else {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(cause) = source {
            text = format!("{text}: {cause}");
            source = cause.source();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            reqwest::header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn hosts_are_told_apart_by_name_and_port() {
        assert_eq!(host_of("https://Example.com/a?b"), "example.com");
        assert_eq!(host_of("http://127.0.0.1:8080/x"), "127.0.0.1:8080");
    }

    #[test]
    fn the_cache_remembers_good_links_for_a_while() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::load(dir.path());
        let week = Duration::from_secs(7 * 86400);
        cache.record(
            &[
                ("https://a.example/".into(), Verdict::Good),
                (
                    "https://b.example/".into(),
                    Verdict::Bad("404 Not Found".into()),
                ),
            ],
            1_000,
        );
        cache.save().unwrap();
        let cache = Cache::load(dir.path());
        assert!(cache.is_fresh("https://a.example/", 2_000, week));
        assert!(!cache.is_fresh("https://a.example/", 1_000 + 7 * 86400, week));
        assert!(!cache.is_fresh("https://b.example/", 2_000, week));
    }
}
