//! # rig-compose
//!
//! Composable, cost-bounded agent kernel.
#![forbid(unsafe_code)]
