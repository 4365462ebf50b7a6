//! A TCP proxy on 127.0.0.1 that makes a local server look far away: every byte arrives a
//! one-way delay late in each direction (half the round-trip time, so a request and its answer
//! cost one round trip, and a new connection one more for its handshake), and all connections
//! share one bandwidth limit per direction. Data is delayed, not serialised: a connection
//! that sends a stream keeps the pipe full, as on a real link.
//!
//! For benchmarks of publishing at real network latency (`examples/latency_bench.rs`) and for
//! tests that the publish paths stay correct when answers come late.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The link the proxy imitates.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    /// Round-trip time.
    pub rtt: Duration,
    /// Bytes per second in each direction, shared by all connections (`None`: unlimited).
    pub bytes_per_sec: Option<u64>,
}

impl Link {
    /// `rtt_ms` of round trip and `mbit` megabits per second each way.
    pub fn new(rtt_ms: u64, mbit: u64) -> Link {
        Link {
            rtt: Duration::from_millis(rtt_ms),
            bytes_per_sec: Some(mbit * 1_000_000 / 8),
        }
    }
}

/// One direction's bandwidth: the time at which the link is free again.
struct Pipe {
    free_at: Mutex<Instant>,
    bytes_per_sec: Option<u64>,
}

impl Pipe {
    /// Reserves the link for `bytes` and returns when their last byte has left.
    fn reserve(&self, bytes: usize) -> Instant {
        let now = Instant::now();
        let Some(rate) = self.bytes_per_sec else {
            return now;
        };
        let mut free_at = self.free_at.lock().expect("pipe lock");
        let start = (*free_at).max(now);
        let end = start + Duration::from_secs_f64(bytes as f64 / rate as f64);
        *free_at = end;
        end
    }
}

/// A running proxy; it stops when dropped.
pub struct ShapingProxy {
    /// `http://127.0.0.1:PORT`, to use as an endpoint instead of the server's.
    pub endpoint: String,
    connections: Arc<AtomicU64>,
    bytes_up: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl ShapingProxy {
    /// Starts a proxy in front of `upstream` (`host:port` or `http://host:port`).
    pub async fn start(upstream: &str, link: Link) -> ShapingProxy {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("upstream is host:port");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let up = Arc::new(Pipe {
            free_at: Mutex::new(Instant::now()),
            bytes_per_sec: link.bytes_per_sec,
        });
        let down = Arc::new(Pipe {
            free_at: Mutex::new(Instant::now()),
            bytes_per_sec: link.bytes_per_sec,
        });
        let connections = Arc::new(AtomicU64::new(0));
        let bytes_up = Arc::new(AtomicU64::new(0));
        let (count, sent) = (connections.clone(), bytes_up.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                count.fetch_add(1, Ordering::Relaxed);
                let (up, down, sent) = (up.clone(), down.clone(), sent.clone());
                tokio::spawn(async move {
                    // The handshake's round trip.
                    tokio::time::sleep(link.rtt).await;
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    let half = link.rtt / 2;
                    tokio::join!(
                        pump(client_read, server_write, half, up, Some(sent)),
                        pump(server_read, client_write, half, down, None),
                    );
                });
            }
        });
        ShapingProxy {
            endpoint,
            connections,
            bytes_up,
            task,
        }
    }

    /// How many connections clients opened so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// How many bytes clients sent so far.
    pub fn bytes_up(&self) -> u64 {
        self.bytes_up.load(Ordering::Relaxed)
    }
}

impl Drop for ShapingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies `from` to `to`, each chunk delivered `delay` after it was read and after the link
/// had room for it. Closing one side closes the other once the data in flight is delivered.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Duration,
    pipe: Arc<Pipe>,
    counter: Option<Arc<AtomicU64>>,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let reader = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if let Some(c) = &counter {
                        c.fetch_add(n as u64, Ordering::Relaxed);
                    }
                    let due = pipe.reserve(n) + delay;
                    if tx.send((due, buf[..n].to_vec())).is_err() {
                        break;
                    }
                }
            }
        }
    };
    let writer = async move {
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reader, writer);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::cli::{json, run};
    use crate::s3_server::{REGION, S3Server, SECRET_KEY};
    use crate::support::example_site;

    /// A publish through a slow, narrow link lands every object (the server sees the same
    /// uploads as without the proxy), and the next one is one request, as without it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn publish_through_a_far_link_lands_everything_and_then_costs_one_request() {
        let server = S3Server::start().await;
        let proxy = ShapingProxy::start(&server.endpoint, Link::new(30, 50)).await;
        let src = example_site();
        let config = std::fs::read_to_string(src.path().join("site.toml")).unwrap();
        let config = format!(
            "{config}\n[publish]\nbucket = \"site\"\nregion = \"{REGION}\"\n\
             endpoint = \"{}\"\npath_style = true\n",
            proxy.endpoint
        );
        std::fs::write(src.path().join("site.toml"), config).unwrap();

        let out = run(src.path(), SECRET_KEY, &["--json"]).await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let uploaded = json(&out)["summary"]["uploaded"].as_u64().unwrap();
        assert!(uploaded > 10);
        assert_eq!(server.count("PUT") as u64, uploaded + 1);
        let stored = server.objects("").await;
        assert!(stored.contains_key("index.html"), "{stored:?}");
        assert!(proxy.bytes_up() > 0 && proxy.connections() >= 1);

        server.reset();
        let out = run(src.path(), SECRET_KEY, &["--json"]).await;
        assert_eq!(json(&out)["status"], "nothing_to_do");
        assert_eq!(server.requests().len(), 1);
    }
}
