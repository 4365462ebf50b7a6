//! `Stages`: how long each step of a render took, for `serve -v`, the benchmarks and anyone
//! asking "where does the time go?".

use std::fmt;
use std::time::{Duration, Instant};

/// Named durations in the order the steps ran, each with the process's peak memory when it
/// ended (where the system tells: Linux).
#[derive(Debug, Clone, Default)]
pub struct Stages {
    done: Vec<(&'static str, Duration)>,
    peaks: Vec<Option<u64>>,
    started: Option<Instant>,
}

/// The peak resident set size of this process so far, in bytes (`VmHWM`), where known.
pub(crate) fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

impl Stages {
    /// Starts the clock for the first step.
    pub fn start() -> Stages {
        Stages {
            done: Vec::new(),
            peaks: Vec::new(),
            started: Some(Instant::now()),
        }
    }

    /// Ends the current step under `name` and starts the next one.
    pub(crate) fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        if let Some(started) = self.started {
            self.done.push((name, now - started));
            self.peaks.push(peak_rss());
        }
        self.started = Some(now);
    }

    /// Appends the steps of a nested timer (e.g. the renderer's) and restarts the clock.
    pub fn extend(&mut self, other: &Stages) {
        self.done.extend(other.done.iter().copied());
        self.peaks.extend(other.peaks.iter().copied());
        self.started = Some(Instant::now());
    }

    /// The recorded steps.
    pub fn steps(&self) -> &[(&'static str, Duration)] {
        &self.done
    }

    /// The sum of the recorded steps.
    pub fn total(&self) -> Duration {
        self.done.iter().map(|(_, d)| *d).sum()
    }
}

impl fmt::Display for Stages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, d)) in self.done.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name} {:.1} ms", d.as_secs_f64() * 1000.0)?;
            if let Some(Some(peak)) = self.peaks.get(i) {
                write!(f, " (peak {} MB)", peak >> 20)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laps_are_recorded_in_order_and_summed() {
        let mut stages = Stages::start();
        stages.lap("load");
        std::thread::sleep(Duration::from_millis(2));
        stages.lap("render");
        let names: Vec<&str> = stages.steps().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["load", "render"]);
        assert!(stages.steps()[1].1 >= Duration::from_millis(2));
        assert_eq!(stages.total(), stages.steps()[0].1 + stages.steps()[1].1);
        let text = stages.to_string();
        assert!(
            text.starts_with("load ") && text.contains(", render "),
            "{text}"
        );
    }
}
