//! Per-thread slots for what every request writes (request counts, page views, request ids).
//!
//! A value written by both HTTP threads (a shared counter, a shared lock) moves its cache line
//! between the cores on every request, which costs a cached page more than the work itself
//! (docs/BENCHMARKS.md, "Metrics and access log overhead"). Such values are split into
//! [`SLOTS`] copies on cache lines of their own; each thread writes the slot it was given the
//! first time it asked ([`mine`]), and whoever reads them (a scrape, a flush) goes over all.
//! Threads beyond [`SLOTS`] share slots, which stays correct (slots hold atomics or locks),
//! only slower.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Slots per split value: more than the HTTP threads of a usual deployment.
pub const SLOTS: usize = 8;

/// A value alone on its cache lines (128 bytes: two lines, as the adjacent-line prefetcher
/// pairs them).
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct Padded<T>(pub T);

impl<T> std::ops::Deref for Padded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// This thread's slot, `0..SLOTS`.
#[inline]
pub fn mine() -> usize {
    thread_local! {
        static SLOT: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    SLOT.with(|slot| {
        if slot.get() == usize::MAX {
            slot.set(NEXT.fetch_add(1, Ordering::Relaxed) % SLOTS);
        }
        slot.get()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_keeps_its_slot_and_threads_spread_over_them() {
        let here = mine();
        assert_eq!(mine(), here);
        let others: Vec<usize> = (0..SLOTS)
            .map(|_| std::thread::spawn(mine).join().unwrap())
            .collect();
        assert!(others.iter().all(|&slot| slot < SLOTS));
        let mut distinct = others.clone();
        distinct.sort_unstable();
        distinct.dedup();
        // (Tests running beside this one take slots too, so not necessarily all of them.)
        assert!(distinct.len() >= 2, "{others:?}");
        assert!(std::mem::align_of::<Padded<u8>>() >= 128);
    }
}
