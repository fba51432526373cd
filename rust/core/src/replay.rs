//! Replay protection for invocation nonces.
//!
//! The cache sits behind one small interface, an atomic check-and-insert with
//! an expiry, so that a gateway running several worker processes can plug in
//! a shared store: with a cache per process, a replay sent to another worker
//! gets through.

use std::collections::HashMap;
use std::sync::Mutex;

/// What a replay cache answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayOutcome {
    /// The key was not present and has been recorded.
    Fresh,
    /// The key was already present and unexpired.
    Replayed,
    /// The cache is full of unexpired entries; the request must be refused,
    /// since forgetting an entry early would let a replay through.
    Full,
    /// The store could not answer (a shared store that is down); the
    /// request must be refused.
    Unavailable,
}

/// A store of seen invocation keys.
pub trait ReplayCache: Send + Sync {
    /// Atomically: if `key` is present and unexpired at `now`, answer
    /// `Replayed`; otherwise record it until `expires_at` and answer `Fresh`.
    fn check_and_insert(&self, key: [u8; 32], expires_at: u64, now: u64) -> ReplayOutcome;
}

/// The default in-process cache: bounded, expiring, thread-safe.
#[derive(Debug)]
pub struct MemoryReplayCache {
    capacity: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    entries: HashMap<[u8; 32], u64>,
    /// The earliest expiry among the entries: purging before then is futile,
    /// which keeps a full cache from costing a scan per request.
    earliest_expiry: u64,
}

impl MemoryReplayCache {
    /// A cache holding at most `capacity` unexpired entries.
    pub fn new(capacity: usize) -> Self {
        MemoryReplayCache {
            capacity,
            state: Mutex::new(State::default()),
        }
    }

    /// The number of entries held (expired ones included until purged).
    pub fn len(&self) -> usize {
        self.state.lock().map(|s| s.entries.len()).unwrap_or(0)
    }

    /// Whether the cache holds no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ReplayCache for MemoryReplayCache {
    fn check_and_insert(&self, key: [u8; 32], expires_at: u64, now: u64) -> ReplayOutcome {
        // A poisoned lock means another thread panicked mid-update; the map
        // itself is still a valid map, so keep serving rather than fail open.
        let mut state = match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(existing) = state.entries.get(&key) {
            if *existing > now {
                return ReplayOutcome::Replayed;
            }
        }
        if state.entries.len() >= self.capacity && !state.entries.contains_key(&key) {
            if now >= state.earliest_expiry {
                state.entries.retain(|_, exp| *exp > now);
                state.earliest_expiry = state.entries.values().copied().min().unwrap_or(u64::MAX);
            }
            if state.entries.len() >= self.capacity {
                return ReplayOutcome::Full;
            }
        }
        if state.entries.is_empty() || expires_at < state.earliest_expiry {
            state.earliest_expiry = expires_at;
        }
        state.entries.insert(key, expires_at);
        ReplayOutcome::Fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_use_is_replayed_until_expiry() {
        let cache = MemoryReplayCache::new(10);
        assert_eq!(
            cache.check_and_insert([1; 32], 100, 50),
            ReplayOutcome::Fresh
        );
        assert_eq!(
            cache.check_and_insert([1; 32], 100, 99),
            ReplayOutcome::Replayed
        );
        assert_eq!(
            cache.check_and_insert([1; 32], 200, 100),
            ReplayOutcome::Fresh
        );
    }

    #[test]
    fn full_cache_refuses_until_entries_expire() {
        let cache = MemoryReplayCache::new(2);
        assert_eq!(
            cache.check_and_insert([1; 32], 100, 0),
            ReplayOutcome::Fresh
        );
        assert_eq!(
            cache.check_and_insert([2; 32], 150, 0),
            ReplayOutcome::Fresh
        );
        assert_eq!(
            cache.check_and_insert([3; 32], 150, 10),
            ReplayOutcome::Full
        );
        assert_eq!(cache.len(), 2);
        // At 100 the first entry has expired and makes room.
        assert_eq!(
            cache.check_and_insert([3; 32], 150, 100),
            ReplayOutcome::Fresh
        );
        assert_eq!(
            cache.check_and_insert([2; 32], 150, 100),
            ReplayOutcome::Replayed
        );
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn concurrent_inserts_admit_exactly_one() {
        let cache = std::sync::Arc::new(MemoryReplayCache::new(100));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let c = cache.clone();
                std::thread::spawn(move || c.check_and_insert([7; 32], 100, 0))
            })
            .collect();
        let fresh = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|o| *o == ReplayOutcome::Fresh)
            .count();
        assert_eq!(fresh, 1);
    }
}
