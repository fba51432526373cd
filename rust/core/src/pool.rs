//! Work on a verifier's own thread pool, shared by the native and the AIP
//! verifiers so that both decide the same way when to hand work off.

use rayon::prelude::*;

/// Below this many requests a batch is decoded and evaluated on the calling
/// thread: handing work to the pool costs more than it saves.
const PARALLEL_FROM_ITEMS: usize = 8;
/// Requests per parallel task when decoding and evaluating.
const ITEMS_PER_TASK: usize = 16;

/// Maps `f` over `items` in input order: on the calling thread for a
/// handful of items (a gateway's single request pays no hand-off to the
/// pool), over `pool` otherwise.
pub(crate) fn map_in_order<T: Send, U: Send>(
    pool: &rayon::ThreadPool,
    items: Vec<T>,
    f: impl Fn(T) -> U + Sync + Send,
) -> Vec<U> {
    if items.len() < PARALLEL_FROM_ITEMS {
        return items.into_iter().map(f).collect();
    }
    pool.install(|| {
        items
            .into_par_iter()
            .with_min_len(ITEMS_PER_TASK)
            .map(f)
            .collect()
    })
}

/// Runs a signature check of `signatures` items: on the calling thread when
/// they are too few to split, inside `pool` (where the batch spreads over
/// its threads) otherwise.
pub(crate) fn check_signatures<R: Send>(
    pool: &rayon::ThreadPool,
    signatures: usize,
    check: impl FnOnce() -> R + Send,
) -> R {
    if signatures < crate::crypto::PARALLEL_FROM_SIGNATURES {
        check()
    } else {
        pool.install(check)
    }
}
