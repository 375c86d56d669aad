//! Switches on the published-crate comparisons in the shared test and bench
//! sources (they compile without them inside the main workspace).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(rig_compose_differential)");
    println!("cargo::rustc-cfg=rig_compose_differential");
}
