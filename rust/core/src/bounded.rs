//! A bounded, thread-safe map for the engine's caches.
//!
//! Each of a fixed number of shards holds two generations: inserts go to
//! the current one, and when it is full it becomes the previous one and the
//! old previous one is dropped whole. A hit in the previous generation moves
//! the entry back into the current one, so entries in use survive and
//! entries not used for a whole generation go. The memory bound is exact
//! (at most `capacity` entries in all), every operation is O(1) and a
//! lookup takes one short lock on one shard.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::{Mutex, MutexGuard};

/// Shards: enough that the threads of a batch rarely meet on one lock.
const SHARDS: usize = 16;

/// A bounded map from keys to small values.
pub struct BoundedMap<K, V> {
    shards: Vec<Mutex<Shard<K, V>>>,
    per_generation: usize,
    /// Picks the shard: keyed per map, so that keys an attacker chooses
    /// (public keys) cannot all be steered into one shard.
    shard_hasher: RandomState,
}

struct Shard<K, V> {
    current: HashMap<K, V>,
    previous: HashMap<K, V>,
}

impl<K: Eq + Hash, V: Clone> BoundedMap<K, V> {
    /// A map holding at most `capacity` entries; 0 makes a map that never
    /// holds anything.
    pub fn new(capacity: usize) -> BoundedMap<K, V> {
        // Two generations per shard share the shard's part of the capacity.
        let per_generation = capacity / SHARDS / 2;
        let shards = (0..SHARDS)
            .map(|_| {
                Mutex::new(Shard {
                    current: HashMap::new(),
                    previous: HashMap::new(),
                })
            })
            .collect();
        BoundedMap {
            shards,
            per_generation,
            shard_hasher: RandomState::new(),
        }
    }

    /// Whether the map can hold anything at all.
    pub fn is_enabled(&self) -> bool {
        self.per_generation > 0
    }

    /// The most entries the map holds.
    pub fn capacity(&self) -> usize {
        self.per_generation * 2 * SHARDS
    }

    /// The value stored under `key`, if any.
    pub fn get(&self, key: &K) -> Option<V> {
        if !self.is_enabled() {
            return None;
        }
        let mut shard = self.shard(key);
        if let Some(value) = shard.current.get(key) {
            return Some(value.clone());
        }
        let (key, value) = shard.previous.remove_entry(key)?;
        shard.insert(key, value.clone(), self.per_generation);
        Some(value)
    }

    /// Stores `value` under `key`.
    pub fn insert(&self, key: K, value: V) {
        if !self.is_enabled() {
            return;
        }
        self.shard(&key).insert(key, value, self.per_generation);
    }

    /// The number of entries held.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let s = lock(s);
                s.current.len() + s.previous.len()
            })
            .sum()
    }

    /// Whether the map holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry.
    pub fn clear(&self) {
        for shard in &self.shards {
            let mut s = lock(shard);
            s.current = HashMap::new();
            s.previous = HashMap::new();
        }
    }

    fn shard(&self, key: &K) -> MutexGuard<'_, Shard<K, V>> {
        // The remainder is below SHARDS, so the cast cannot truncate.
        let index = (self.shard_hasher.hash_one(key) % SHARDS as u64) as usize;
        lock(&self.shards[index])
    }
}

impl<K: Eq + Hash, V> Shard<K, V> {
    fn insert(&mut self, key: K, value: V, per_generation: usize) {
        if self.current.len() >= per_generation && !self.current.contains_key(&key) {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(key, value);
    }
}

/// A cache is only ever a set of facts that were true when inserted; a
/// thread that panicked while holding the lock cannot have made one false.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl<K, V> std::fmt::Debug for BoundedMap<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundedMap")
            .field("capacity", &(self.per_generation * 2 * SHARDS))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u32) -> [u8; 4] {
        i.to_le_bytes()
    }

    #[test]
    fn holds_what_was_inserted() {
        let map = BoundedMap::new(1024);
        map.insert(key(1), 10);
        assert_eq!(map.get(&key(1)), Some(10));
        assert_eq!(map.get(&key(2)), None);
        assert_eq!(map.len(), 1);
    }

    #[test]
    fn never_exceeds_its_capacity() {
        let map = BoundedMap::new(256);
        for i in 0..100_000 {
            map.insert(key(i), i);
            assert!(map.len() <= 256);
        }
        assert!(map.len() > 128, "a full map keeps at least one generation");
    }

    #[test]
    fn entries_in_use_survive_eviction() {
        let map = BoundedMap::new(64);
        map.insert(key(7), 7);
        for i in 1_000..11_000 {
            map.insert(key(i), i);
            assert_eq!(map.get(&key(7)), Some(7), "after {i}");
        }
    }

    #[test]
    fn keys_sharing_a_prefix_still_use_the_whole_capacity() {
        // Chosen keys that agree on their first bytes (as an attacker's
        // public keys can) must not be confined to one shard's share.
        let map = BoundedMap::new(1024);
        for i in 0..1024u32 {
            let mut k = [0u8; 32];
            k[28..].copy_from_slice(&i.to_le_bytes());
            map.insert(k, i);
        }
        assert!(map.len() > 512, "only {} of 1024 kept", map.len());
    }

    #[test]
    fn zero_capacity_holds_nothing() {
        let map = BoundedMap::new(0);
        map.insert(key(1), 1);
        assert_eq!(map.get(&key(1)), None);
        assert!(!map.is_enabled());
        assert!(map.is_empty());
    }

    #[test]
    fn clear_drops_everything() {
        let map = BoundedMap::new(1024);
        (0..500).for_each(|i| map.insert(key(i), i));
        map.clear();
        assert!(map.is_empty());
        assert_eq!(map.get(&key(3)), None);
    }
}
