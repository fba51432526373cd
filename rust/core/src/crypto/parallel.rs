//! Strict batch verification spread over the current rayon pool.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::batch::verify_batch;
use super::ed25519::SignatureItem;
use crate::error::{Error, Result};

/// Below this many signatures per task a split costs more than it saves
/// (the per-signature cost is flat from 16 to 64 and rises steeply below
/// 16; docs/BENCHMARKS.md has the curve).
const MIN_SIGNATURES_PER_TASK: usize = 64;
/// Above this many signatures one multiscalar multiplication gets slower
/// per signature again (its tables outgrow the caches: 4,096 costs 9% more
/// per signature than 2,048 on the project's machine).
const MAX_SIGNATURES_PER_TASK: usize = 2048;

/// [`verify_batch`] over chunks, at least one per thread of the current
/// rayon pool: one bool per item, in order, equal to per-item verification.
pub fn verify_batch_parallel(items: &[SignatureItem<'_>]) -> Vec<bool> {
    let per_task = items
        .len()
        .div_ceil(rayon::current_num_threads().max(1))
        .clamp(MIN_SIGNATURES_PER_TASK, MAX_SIGNATURES_PER_TASK);
    items
        .par_chunks(per_task)
        .flat_map_iter(verify_batch)
        .collect()
}

/// Where a batch runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// rayon's global pool: all cores.
    AllCores,
    /// Exactly this many threads; 1 is the calling thread, with no hand-off.
    Exactly(usize),
}

/// Thread pools by size, built once each: a pool costs thread starts.
static POOLS: Mutex<Option<HashMap<usize, Arc<rayon::ThreadPool>>>> = Mutex::new(None);

fn pool_of(threads: usize) -> Result<Arc<rayon::ThreadPool>> {
    let mut pools = POOLS.lock().unwrap_or_else(|p| p.into_inner());
    let pools = pools.get_or_insert_with(HashMap::new);
    if let Some(pool) = pools.get(&threads) {
        return Ok(Arc::clone(pool));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("chainproof-batch-{i}"))
        .build()
        .map(Arc::new)
        .map_err(|e| Error::InvalidArgument(format!("cannot start the thread pool: {e}")))?;
    pools.insert(threads, Arc::clone(&pool));
    Ok(pool)
}

/// [`verify_batch`] on the chosen number of threads: one bool per item, in
/// order, equal to per-item verification.
///
/// Fails only if `threads` is `Exactly(0)` or a pool cannot be started.
pub fn verify_batch_on(items: &[SignatureItem<'_>], threads: Threads) -> Result<Vec<bool>> {
    match threads {
        Threads::AllCores => Ok(verify_batch_parallel(items)),
        Threads::Exactly(0) => Err(Error::InvalidArgument("threads must be at least 1".into())),
        Threads::Exactly(1) => Ok(items
            .chunks(MAX_SIGNATURES_PER_TASK)
            .flat_map(verify_batch)
            .collect()),
        Threads::Exactly(n) => Ok(pool_of(n)?.install(|| verify_batch_parallel(items))),
    }
}
