//! The lock-free counter shared by [`AtomicBudget`](super::AtomicBudget) and
//! [`AtomicTokenBudget`](super::AtomicTokenBudget).
//!
//! Every mutation is a compare-and-swap loop over a single word, so a
//! successful [`Reservoir::take`] is linearizable: two callers can never both
//! be admitted against the same units. Successful updates use `AcqRel` so
//! whatever a releaser did before handing units back happens-before the work
//! of whoever takes them next.

use super::sync::{AtomicU64, Ordering};

/// A bounded level in `0..=capacity`.
pub(super) struct Reservoir {
    capacity: u64,
    level: AtomicU64,
}

impl Reservoir {
    /// A reservoir holding its whole capacity.
    pub(super) fn full(capacity: u64) -> Self {
        Self {
            capacity,
            level: AtomicU64::new(capacity),
        }
    }

    pub(super) fn capacity(&self) -> u64 {
        self.capacity
    }

    pub(super) fn level(&self) -> u64 {
        self.level.load(Ordering::Acquire)
    }

    /// Removes `amount` if (and only if) that much is currently present.
    pub(super) fn take(&self, amount: u64) -> bool {
        let mut seen = self.level.load(Ordering::Acquire);
        loop {
            let Some(rest) = seen.checked_sub(amount) else {
                return false;
            };
            match self
                .level
                .compare_exchange_weak(seen, rest, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(now) => seen = now,
            }
        }
    }

    /// Adds `amount` back, clamped to the capacity.
    ///
    /// Clamping matters after a refill: units handed out before the refill
    /// must not push the level past what the reservoir can hold.
    pub(super) fn put_back(&self, amount: u64) {
        let cap = self.capacity;
        update(&self.level, |level| level.saturating_add(amount).min(cap));
    }

    /// Removes up to `amount`, stopping at zero instead of wrapping.
    pub(super) fn drain(&self, amount: u64) {
        update(&self.level, |level| level.saturating_sub(amount));
    }

    /// Sets the level back to the capacity.
    pub(super) fn reset(&self) {
        self.level.store(self.capacity, Ordering::Release);
    }
}

/// Adds `amount` to a monotonic counter, pinning it at `u64::MAX` instead of
/// wrapping back to small values.
pub(super) fn saturating_increment(counter: &AtomicU64, amount: u64) {
    update(counter, |value| value.saturating_add(amount));
}

/// Applies `step` atomically; skips the write entirely when nothing changes.
fn update(cell: &AtomicU64, step: impl Fn(u64) -> u64) {
    let mut seen = cell.load(Ordering::Acquire);
    loop {
        let next = step(seen);
        if next == seen {
            return;
        }
        match cell.compare_exchange_weak(seen, next, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return,
            Err(now) => seen = now,
        }
    }
}

#[cfg(test)]
#[cfg(not(loom))]
mod tests {
    use super::*;

    #[test]
    fn take_is_all_or_nothing() {
        let r = Reservoir::full(10);
        assert!(r.take(7));
        assert!(!r.take(4), "only 3 left, 4 must be refused");
        assert_eq!(r.level(), 3);
        assert!(r.take(3));
        assert_eq!(r.level(), 0);
        assert!(r.take(0), "a zero-sized take always fits");
    }

    #[test]
    fn put_back_clamps_and_drain_floors() {
        let r = Reservoir::full(10);
        assert!(r.take(4));
        r.put_back(u64::MAX);
        assert_eq!(r.level(), 10);
        r.drain(u64::MAX);
        assert_eq!(r.level(), 0);
        r.put_back(3);
        assert_eq!(r.level(), 3);
        r.reset();
        assert_eq!(r.level(), 10);
        assert_eq!(r.capacity(), 10);
    }

    #[test]
    fn counter_saturates_at_max() {
        let c = AtomicU64::new(u64::MAX - 1);
        saturating_increment(&c, 5);
        assert_eq!(c.load(Ordering::Relaxed), u64::MAX);
        saturating_increment(&c, 1);
        assert_eq!(c.load(Ordering::Relaxed), u64::MAX);
    }
}
