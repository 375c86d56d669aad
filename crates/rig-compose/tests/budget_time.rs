//! The time primitives of `rig_compose::budget` used together, through the
//! public paths only, the way the budget engine drives them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rig_compose::budget::{
    Clock, Gcra, LimitConfigError, LimitParameter, ManualClock, RateLimitError, RollingWindow,
    SystemClock, Window,
};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn public_types_are_thread_safe() {
    assert_send_sync::<ManualClock>();
    assert_send_sync::<SystemClock>();
    assert_send_sync::<Arc<dyn Clock>>();
    assert_send_sync::<Window>();
    assert_send_sync::<Gcra>();
    assert_send_sync::<RollingWindow>();
    assert_send_sync::<RateLimitError>();
    assert_send_sync::<LimitConfigError>();
}

/// A request-per-minute limiter shared behind the caller's lock, driven by a
/// manual clock, alongside a monthly window that decides when usage resets.
#[test]
fn limiter_behind_a_lock_with_a_shared_clock() {
    // 2025-01-31T23:59:00Z.
    let clock = ManualClock::new(1_738_367_940_000);
    let engine_clock: Arc<dyn Clock> = Arc::new(clock.clone());
    let rpm = Arc::new(Mutex::new(Gcra::per_minute(60, 3).unwrap()));
    let month = Window::CalendarMonthUtc;

    let january = month.index_at(engine_clock.now_millis());
    let take = |n| rpm.lock().unwrap().try_take(n, engine_clock.now_millis());

    assert_eq!(take(3), Ok(()));
    assert_eq!(take(1), Err(RateLimitError::RetryAfter { millis: 1_000 }));

    clock.advance(Duration::from_secs(60));
    assert_eq!(take(3), Ok(()));
    // One minute later it is February: the monthly window has rolled over.
    let now = engine_clock.now_millis();
    assert_eq!(month.index_at(now), january + 1);
    assert_eq!(month.starts_at(now), 1_738_368_000_000); // 2025-02-01T00:00:00Z
    assert_eq!(month.resets_at(now), Some(1_740_787_200_000)); // 2025-03-01T00:00:00Z
}

#[test]
fn steady_trickle_through_both_limiters() {
    // 10 per second either way, offered 1 unit every 100 ms for 10 s.
    let clock = ManualClock::new(0);
    let mut bucket = Gcra::per_second(10, 10).unwrap();
    let mut rolling = RollingWindow::with_buckets(10, Duration::from_secs(1), 10).unwrap();
    let mut rolling_refusals = Vec::new();
    for _ in 0..100 {
        let now = clock.now_millis();
        // The refilling bucket sustains exactly its rate.
        assert_eq!(bucket.try_take(1, now), Ok(()), "gcra at {now}");
        if let Err(err) = rolling.try_take(1, now) {
            rolling_refusals.push((now, err));
        }
        clock.advance_millis(100);
    }
    // The rolling window is stricter by up to one 100 ms sub-bucket: at
    // 1000 ms the take from 0 ms still counts (its bucket spans 0..=99 ms),
    // so that request must wait 99 ms. Under constant pressure this repeats
    // every span + bucket width: 10 units per 1.1 s at worst.
    let expected: Vec<_> = (0..9)
        .map(|k| (1_000 + 1_100 * k, RateLimitError::RetryAfter { millis: 99 }))
        .collect();
    assert_eq!(rolling_refusals, expected);
}

#[test]
fn configuration_errors_name_the_parameter() {
    let err = RollingWindow::with_buckets(100, Duration::from_secs(60), 0).unwrap_err();
    assert_eq!(
        err,
        LimitConfigError::Zero {
            parameter: LimitParameter::Buckets
        }
    );
    assert_eq!(
        err.to_string(),
        "invalid bucket count: must be greater than zero"
    );
    let err = Window::every(Duration::from_micros(10)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid window period: 10000 ns is below the 1 ms resolution"
    );
    let err = Gcra::new(5, Duration::from_secs(1), 0).unwrap_err();
    assert_eq!(err.to_string(), "invalid burst: must be greater than zero");
}

#[test]
fn system_clock_drives_a_limiter() {
    let mut limiter = Gcra::per_second(1_000, 1_000).unwrap();
    let now = SystemClock.now_millis();
    assert_eq!(limiter.try_take(1_000, now), Ok(()));
    assert!(matches!(
        limiter.try_take(1_000, now),
        Err(RateLimitError::RetryAfter { millis }) if (1..=1_000).contains(&millis)
    ));
}
