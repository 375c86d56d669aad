//! Budgets and the time primitives they are built on: clocks, accounting windows and rate limiters.

mod calendar;
mod clock;
mod limit_config;
mod rate;
mod window;

pub use clock::{Clock, ManualClock, SystemClock};
pub use limit_config::{LimitConfigError, LimitParameter};
pub use rate::{DEFAULT_ROLLING_BUCKETS, Gcra, MAX_ROLLING_BUCKETS, RateLimitError, RollingWindow};
pub use window::Window;
