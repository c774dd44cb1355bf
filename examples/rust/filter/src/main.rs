//! Sample filter module (to be written).

fn main() {}
