//! Counters of what a verifier did, so batch callers can account for every
//! input: requests seen, accepted, refused per reason, signatures checked.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::verdict::{Reason, Verdict};

/// Running totals, updated once per call (never per item on a hot path).
#[derive(Debug, Default)]
pub struct Counters {
    calls: AtomicU64,
    requests: AtomicU64,
    accepted: AtomicU64,
    signatures: AtomicU64,
    cache_hits: AtomicU64,
    refused: [AtomicU64; Reason::ALL.len()],
}

/// A snapshot of a verifier's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Calls to `verify` or `verify_batch`.
    pub calls: u64,
    /// Requests verified (one per input).
    pub requests: u64,
    /// Requests accepted.
    pub accepted: u64,
    /// Signatures checked (blocks and invocations of decoded requests).
    pub signatures: u64,
    /// Block signatures answered by the verified-block cache instead of
    /// being checked again.
    pub cache_hits: u64,
    /// Requests refused, per reason, in check order; reasons never seen are
    /// included with zero so the shape is stable.
    pub refused: Vec<(Reason, u64)>,
}

impl Counters {
    /// Adds one call's verdicts, the number of signatures it checked and
    /// the number the cache answered.
    pub fn record(&self, verdicts: &[Verdict], signatures: usize, cache_hits: usize) {
        let mut per_reason = [0u64; Reason::ALL.len()];
        let mut accepted = 0u64;
        for v in verdicts {
            match v.reason() {
                None => accepted += 1,
                Some(r) => {
                    if let Some(slot) = per_reason.get_mut(r.index()) {
                        *slot += 1;
                    }
                }
            }
        }
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.requests
            .fetch_add(verdicts.len() as u64, Ordering::Relaxed);
        self.accepted.fetch_add(accepted, Ordering::Relaxed);
        self.signatures
            .fetch_add(signatures as u64, Ordering::Relaxed);
        self.cache_hits
            .fetch_add(cache_hits as u64, Ordering::Relaxed);
        for (counter, n) in self.refused.iter().zip(per_reason) {
            if n > 0 {
                counter.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    /// The current totals.
    pub fn snapshot(&self) -> Stats {
        Stats {
            calls: self.calls.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            accepted: self.accepted.load(Ordering::Relaxed),
            signatures: self.signatures.load(Ordering::Relaxed),
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
            refused: Reason::ALL
                .iter()
                .zip(&self.refused)
                .map(|(r, c)| (*r, c.load(Ordering::Relaxed)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Refusal;

    #[test]
    fn counts_every_verdict_once() {
        let c = Counters::default();
        let verdicts = vec![
            Verdict::Refused(Refusal::whole(Reason::Malformed, "x")),
            Verdict::Refused(Refusal::at(Reason::Replayed, 1, "y")),
            Verdict::Refused(Refusal::at(Reason::Replayed, 1, "y")),
        ];
        c.record(&verdicts, 7, 2);
        let s = c.snapshot();
        assert_eq!(
            (s.calls, s.requests, s.accepted, s.signatures, s.cache_hits),
            (1, 3, 0, 7, 2)
        );
        let get = |r: Reason| s.refused.iter().find(|(x, _)| *x == r).map(|(_, n)| *n);
        assert_eq!(get(Reason::Malformed), Some(1));
        assert_eq!(get(Reason::Replayed), Some(2));
        assert_eq!(get(Reason::Expired), Some(0));
        assert_eq!(s.refused.len(), Reason::ALL.len());
    }

    #[test]
    fn reason_index_follows_check_order() {
        for (i, r) in Reason::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
        }
    }
}
