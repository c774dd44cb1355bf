//! `edgemodule-hub` command line.

fn main() {
    eprintln!("edgemodule-hub: not built yet");
    std::process::exit(2);
}
