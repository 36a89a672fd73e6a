//! Concurrent requests for native tests: Spin runs each request in its own
//! instance, so the rules that must hold under concurrency (exact counts,
//! one winner per claim) are tested with threads standing for instances.

use std::sync::Barrier;
use std::thread;

/// Runs `racer` on `racers` threads released at once, each given its
/// number, and gives their results in that order.
pub fn race<T: Send>(racers: usize, racer: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let start = Barrier::new(racers);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..racers)
            .map(|n| {
                let (start, racer) = (&start, &racer);
                scope.spawn(move || {
                    start.wait();
                    racer(n)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a racer panicked"))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    #[test]
    fn every_racer_runs_once_and_results_keep_their_order() {
        let runs = AtomicUsize::new(0);
        let results = race(8, |n| {
            runs.fetch_add(1, Ordering::SeqCst);
            n * 10
        });
        assert_eq!(results, [0, 10, 20, 30, 40, 50, 60, 70]);
        assert_eq!(runs.load(Ordering::SeqCst), 8);
    }

    #[test]
    fn the_racers_run_at_the_same_time() {
        // Each racer waits for all to arrive: racers run one after another
        // would leave the first waiting, so it gives up after a while.
        let arrived = AtomicUsize::new(0);
        let met = race(4, |_| {
            arrived.fetch_add(1, Ordering::SeqCst);
            let give_up = Instant::now() + Duration::from_secs(10);
            while arrived.load(Ordering::SeqCst) < 4 {
                if Instant::now() > give_up {
                    return false;
                }
                thread::yield_now();
            }
            true
        });
        assert_eq!(met, [true; 4]);
    }
}
