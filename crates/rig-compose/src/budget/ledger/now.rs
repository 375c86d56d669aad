//! The time of one operation, read from the clock only if something needs
//! it.
//!
//! A lifetime quota without leases never looks at the time, so an
//! operation on a chain of such budgets skips the clock entirely; anything
//! windowed, rate-limited or leased reads it once, and every later use in
//! the same operation sees the same instant.

use std::cell::Cell;

use crate::budget::Clock;

pub(super) struct Now<'a> {
    clock: Option<&'a dyn Clock>,
    read: Cell<Option<u64>>,
}

impl<'a> Now<'a> {
    /// The time will be read from `clock` on first use.
    pub(super) fn from_clock(clock: &'a dyn Clock) -> Self {
        Self {
            clock: Some(clock),
            read: Cell::new(None),
        }
    }

    /// A fixed instant.
    #[cfg(test)]
    pub(super) fn fixed(millis: u64) -> Self {
        Self {
            clock: None,
            read: Cell::new(Some(millis)),
        }
    }

    pub(super) fn get(&self) -> u64 {
        if let Some(millis) = self.read.get() {
            return millis;
        }
        let millis = self.clock.map_or(0, |clock| clock.now_millis());
        self.read.set(Some(millis));
        millis
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::ManualClock;

    #[test]
    fn reads_the_clock_once_and_only_when_asked() {
        let clock = ManualClock::new(7);
        let now = Now::from_clock(&clock);
        clock.set_millis(9);
        assert_eq!(now.get(), 9, "not read before the first use");
        clock.set_millis(11);
        assert_eq!(now.get(), 9, "one instant per operation");
        assert_eq!(Now::fixed(3).get(), 3);
    }
}
