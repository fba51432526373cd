//! Strict batch verification spread over the current rayon pool.

use rayon::prelude::*;

use super::batch::verify_batch;
use super::ed25519::SignatureItem;

/// Below this many signatures per task a split costs more than it saves.
const MIN_SIGNATURES_PER_TASK: usize = 64;

/// [`verify_batch`] over chunks, one per thread of the current rayon pool:
/// one bool per item, in order, equal to per-item verification.
pub fn verify_batch_parallel(items: &[SignatureItem<'_>]) -> Vec<bool> {
    let per_task = items
        .len()
        .div_ceil(rayon::current_num_threads().max(1))
        .max(MIN_SIGNATURES_PER_TASK);
    items
        .par_chunks(per_task)
        .flat_map_iter(verify_batch)
        .collect()
}
