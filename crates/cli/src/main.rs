//! `descent`: the command line over descent-lab.

fn main() {}
