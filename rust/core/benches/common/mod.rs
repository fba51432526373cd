//! What both benches share: the criterion settings and an optional
//! CPU-time clock.
//!
//! Criterion measures wall time. On a machine shared with other jobs, a
//! single-threaded routine that is descheduled half the time reads twice as
//! slow, and the batch-size curve drowns in that noise. With
//! `CHAINPROOF_BENCH_CPU=1` the single-threaded groups are measured in CPU
//! time of this process instead (`CLOCK_PROCESS_CPUTIME_ID`, the time all
//! its threads spent on a CPU): robust to being descheduled, but not a
//! latency, so groups that compare thread counts always use wall time.

use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::Criterion;

/// Short runs: a full `cargo bench -p chainproof-core` stays within a few
/// minutes on two busy cores.
pub fn settings<M: Measurement>(c: Criterion<M>) -> Criterion<M> {
    c.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(20)
        .nresamples(20_000)
}

/// Whether `CHAINPROOF_BENCH_CPU=1` asks for CPU time (Unix only).
pub fn cpu_time_requested() -> bool {
    cfg!(unix) && std::env::var("CHAINPROOF_BENCH_CPU").is_ok_and(|v| v == "1")
}

/// The CPU-time clock.
pub fn cpu_clock() -> ProcessCpuTime {
    ProcessCpuTime { wall: WallTime }
}

/// The CPU time of this process (all threads), as a criterion clock.
pub struct ProcessCpuTime {
    wall: WallTime,
}

#[cfg(unix)]
fn process_cpu_now() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, exclusively borrowed timespec for the whole
    // call, and CLOCK_PROCESS_CPUTIME_ID is supported on every Unix the
    // project builds on; the return code is checked.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Never called: `cpu_time_requested` is false off Unix.
#[cfg(not(unix))]
fn process_cpu_now() -> Duration {
    Duration::ZERO
}

impl Measurement for ProcessCpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        process_cpu_now()
    }
    fn end(&self, start: Duration) -> Duration {
        process_cpu_now().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        // Values are nanoseconds, exactly as for wall time.
        self.wall.formatter()
    }
}
