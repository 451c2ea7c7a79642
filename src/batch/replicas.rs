//! A profile's endpoints (`base_urls`) as replicas: requests go round robin over those in
//! rotation; one that refuses connections, times out, breaks a stream or answers 5xx (after the
//! client's retries) is taken out for a back-off period and the paragraph goes to another.

use serde::Serialize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a failed replica stays out of rotation before it is tried again.
pub const BACKOFF: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplicaReport {
    pub url: String,
    /// Paragraphs it answered (successfully or with a reply that did not parse).
    pub served: usize,
    /// Requests that failed on it and were sent elsewhere (or recorded as failed).
    pub failed: usize,
    /// Times it was taken out of rotation.
    pub taken_out: usize,
}

struct Replica {
    report: ReplicaReport,
    out_until: Option<Instant>,
}

pub struct Replicas {
    replicas: Mutex<(Vec<Replica>, usize)>,
    backoff: Duration,
}

impl Replicas {
    pub fn new(urls: Vec<String>, backoff: Duration) -> Replicas {
        let replicas = urls
            .into_iter()
            .map(|url| Replica {
                report: ReplicaReport {
                    url,
                    ..ReplicaReport::default()
                },
                out_until: None,
            })
            .collect();
        Replicas {
            replicas: Mutex::new((replicas, 0)),
            backoff,
        }
    }

    /// How many endpoints there are (at least one is always tried).
    pub fn count(&self) -> usize {
        self.replicas.lock().map_or(1, |r| r.0.len()).max(1)
    }

    /// The next endpoint in rotation (round robin), skipping `avoid`; when every one is out, the
    /// one back soonest.
    pub fn pick(&self, now: Instant, avoid: &[usize]) -> usize {
        let Ok(mut guard) = self.replicas.lock() else { return 0 };
        let (replicas, next) = &mut *guard;
        let n = replicas.len().max(1);
        let start = *next;
        *next = (*next + 1) % n;
        let in_rotation =
            |i: usize| !avoid.contains(&i) && replicas.get(i).is_none_or(|r| r.out_until.is_none_or(|t| t <= now));
        if let Some(i) = (0..n).map(|k| (start + k) % n).find(|&i| in_rotation(i)) {
            return i;
        }
        (0..replicas.len())
            .filter(|i| !avoid.contains(i))
            .min_by_key(|&i| replicas[i].out_until)
            .unwrap_or(start % n)
    }

    pub fn served(&self, index: usize) {
        if let Ok(mut guard) = self.replicas.lock()
            && let Some(replica) = guard.0.get_mut(index)
        {
            replica.report.served += 1;
            replica.out_until = None;
        }
    }

    /// The replica failed a request: out of rotation until the back-off has passed.
    pub fn failed(&self, index: usize, now: Instant) {
        if let Ok(mut guard) = self.replicas.lock()
            && let Some(replica) = guard.0.get_mut(index)
        {
            replica.report.failed += 1;
            if replica.out_until.is_none_or(|t| t <= now) {
                replica.report.taken_out += 1;
            }
            replica.out_until = Some(now + self.backoff);
        }
    }

    pub fn reports(&self) -> Vec<ReplicaReport> {
        self.replicas
            .lock()
            .map(|r| r.0.iter().map(|r| r.report.clone()).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_replica_is_skipped_until_its_backoff_passes() {
        let replicas = Replicas::new(vec!["a".into(), "b".into(), "c".into()], Duration::from_secs(30));
        let now = Instant::now();
        assert_eq!(
            [
                replicas.pick(now, &[]),
                replicas.pick(now, &[]),
                replicas.pick(now, &[])
            ],
            [0, 1, 2]
        );
        replicas.failed(1, now);
        let picks: Vec<usize> = (0..4).map(|_| replicas.pick(now, &[])).collect();
        assert!(!picks.contains(&1), "{picks:?}");
        assert_ne!(replicas.pick(now, &[0]), 0);
        let later = now + Duration::from_secs(31);
        let picks: Vec<usize> = (0..3).map(|_| replicas.pick(later, &[])).collect();
        assert!(picks.contains(&1), "back in rotation: {picks:?}");
        replicas.served(1);
        let reports = replicas.reports();
        assert_eq!((reports[1].served, reports[1].failed, reports[1].taken_out), (1, 1, 1));
    }
}
