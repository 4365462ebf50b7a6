//! How many uploads a publish keeps in flight, adapted to the link: a store 50 ms away serves
//! a request in one round trip whatever the concurrency, so throughput grows with every
//! request added until the bandwidth (or the store) is the limit. The limit starts at the
//! configured `concurrency`, doubles each round while completions per second keep growing
//! (by at least a tenth), then holds; whenever requests had to be retried (throttling such as
//! S3's 503 SlowDown, timeouts, resets), it halves and stops growing. A round is as many
//! completions as the limit allowed in flight when it began.
//!
//! [`drive`] runs futures under such a limit; [`Limit`] is the pure decision, unit-tested.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;

pub use crate::config::publish::MAX_IN_FLIGHT;

/// The adaptive limit: pure state, fed with completions, retries and the time.
#[derive(Debug, Clone)]
pub struct Limit {
    current: usize,
    floor: usize,
    ceiling: usize,
    growing: bool,
    round_started: Instant,
    round_target: usize,
    round_done: usize,
    best_rate: f64,
}

impl Limit {
    /// A limit starting at `start` (at least 1), never below 1 nor above `ceiling`.
    pub fn new(start: usize, ceiling: usize, now: Instant) -> Limit {
        let start = start.clamp(1, ceiling.max(1));
        Limit {
            current: start,
            floor: 1,
            ceiling: ceiling.max(start),
            growing: true,
            round_started: now,
            round_target: start,
            round_done: 0,
            best_rate: 0.0,
        }
    }

    /// A limit that never moves (`--concurrency` given on the command line).
    pub fn fixed(n: usize, now: Instant) -> Limit {
        let n = n.max(1);
        Limit {
            growing: false,
            floor: n,
            ceiling: n,
            ..Limit::new(n, n, now)
        }
    }

    /// How many may be in flight now.
    pub fn current(&self) -> usize {
        self.current
    }

    /// Records one completion at `now`; `retried` is true when the store made it (or another
    /// request since the last call) retry.
    pub fn completed(&mut self, retried: bool, now: Instant) {
        if retried && self.ceiling > self.floor {
            self.current = (self.current / 2).max(self.floor);
            self.growing = false;
            self.start_round(now);
            return;
        }
        self.round_done += 1;
        if self.round_done < self.round_target {
            return;
        }
        let elapsed = now
            .saturating_duration_since(self.round_started)
            .max(Duration::from_micros(1));
        let rate = self.round_done as f64 / elapsed.as_secs_f64();
        if self.growing {
            if rate > self.best_rate * 1.1 {
                self.best_rate = rate;
                self.current = (self.current * 2).min(self.ceiling);
            } else {
                self.growing = false;
            }
        }
        self.start_round(now);
    }

    fn start_round(&mut self, now: Instant) {
        self.round_started = now;
        self.round_target = self.current;
        self.round_done = 0;
    }
}

/// What [`drive`] leaves: the limit as it adapted (for the next batch) and the highest it
/// reached.
#[derive(Debug)]
pub struct Driven {
    /// The limit after the last completion.
    pub limit: Limit,
    /// The most that were allowed in flight at once.
    pub highest: usize,
}

/// Runs `futures` with at most `limit.current()` in flight, in order of start, and calls
/// `on_done` with each output as it completes. `retries` tells how many retries the store
/// needed so far (a counter that only grows); a change since the last completion counts as
/// a retry. Stops early when `on_done` returns false (the futures not yet started are dropped
/// unstarted; those in flight are awaited and passed to `on_done` too).
pub async fn drive<F, O>(
    futures: Vec<F>,
    mut limit: Limit,
    retries: impl Fn() -> u64,
    mut on_done: impl FnMut(O) -> bool,
) -> Driven
where
    F: Future<Output = O>,
{
    let mut waiting = futures.into_iter();
    let mut in_flight = FuturesUnordered::new();
    let mut highest = limit.current();
    let mut seen_retries = retries();
    let mut stopping = false;
    loop {
        while !stopping && in_flight.len() < limit.current() {
            match waiting.next() {
                Some(future) => in_flight.push(future),
                None => break,
            }
        }
        let Some(output) = in_flight.next().await else {
            break;
        };
        let now_retries = retries();
        limit.completed(now_retries > seen_retries, Instant::now());
        seen_retries = now_retries;
        highest = highest.max(limit.current());
        if !on_done(output) {
            stopping = true;
        }
    }
    Driven { limit, highest }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `limit` one round of completions spread over `round` of time.
    fn round(limit: &mut Limit, now: &mut Instant, round: Duration) {
        let n = limit.current();
        for _ in 0..n {
            *now += round / n as u32;
            limit.completed(false, *now);
        }
    }

    #[test]
    fn latency_bound_uploads_double_the_limit_each_round_up_to_the_ceiling() {
        let mut now = Instant::now();
        let mut limit = Limit::new(16, 256, now);
        // Each round takes one round trip whatever the limit: throughput doubles each time.
        let mut seen = vec![limit.current()];
        for _ in 0..6 {
            round(&mut limit, &mut now, Duration::from_millis(50));
            seen.push(limit.current());
        }
        assert_eq!(seen, [16, 32, 64, 128, 256, 256, 256]);
    }

    #[test]
    fn growth_stops_when_throughput_stops_growing() {
        let mut now = Instant::now();
        let mut limit = Limit::new(16, 256, now);
        round(&mut limit, &mut now, Duration::from_millis(50)); // 320/s → 32
        round(&mut limit, &mut now, Duration::from_millis(50)); // 640/s → 64
        // The link is full: 64 in flight take twice as long, the same rate as 32.
        round(&mut limit, &mut now, Duration::from_millis(100));
        assert_eq!(limit.current(), 64);
        round(&mut limit, &mut now, Duration::from_millis(10));
        assert_eq!(limit.current(), 64, "no growth once it stopped");
    }

    #[test]
    fn a_retry_halves_the_limit_and_stops_growth() {
        let mut now = Instant::now();
        let mut limit = Limit::new(16, 256, now);
        round(&mut limit, &mut now, Duration::from_millis(50));
        assert_eq!(limit.current(), 32);
        limit.completed(true, now);
        assert_eq!(limit.current(), 16);
        limit.completed(true, now);
        limit.completed(true, now);
        limit.completed(true, now);
        limit.completed(true, now);
        assert_eq!(limit.current(), 1, "never below one");
        round(&mut limit, &mut now, Duration::from_millis(1));
        assert_eq!(limit.current(), 1);
    }

    #[test]
    fn a_fixed_limit_never_moves() {
        let mut now = Instant::now();
        let mut limit = Limit::fixed(4, now);
        round(&mut limit, &mut now, Duration::from_millis(50));
        limit.completed(true, now);
        assert_eq!(limit.current(), 4);
    }

    #[tokio::test]
    async fn drive_keeps_at_most_the_limit_in_flight_and_runs_everything() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let in_flight = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let futures: Vec<_> = (0..40)
            .map(|i| {
                let (in_flight, peak) = (in_flight.clone(), peak.clone());
                async move {
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    i
                }
            })
            .collect();
        let mut done = Vec::new();
        let driven = drive(
            futures,
            Limit::fixed(3, Instant::now()),
            || 0,
            |i| {
                done.push(i);
                true
            },
        )
        .await;
        let highest = driven.highest;
        done.sort();
        assert_eq!(done, (0..40).collect::<Vec<_>>());
        assert_eq!(highest, 3);
        assert!(peak.load(Ordering::SeqCst) <= 3);
    }

    #[tokio::test]
    async fn drive_stops_starting_new_work_when_told() {
        let futures: Vec<_> = (0..10).map(|i| async move { i }).collect();
        let mut done = 0;
        drive(
            futures,
            Limit::fixed(2, Instant::now()),
            || 0,
            |_| {
                done += 1;
                done < 3
            },
        )
        .await;
        assert!(done < 10, "{done}");
    }
}
