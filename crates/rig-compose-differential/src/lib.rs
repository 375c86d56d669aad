//! Host package for differential checks of `rig-compose` against the
//! published 0.5.0 release; the code lives in `../rig-compose/tests` and
//! `../rig-compose/benches`. This library is intentionally empty.
