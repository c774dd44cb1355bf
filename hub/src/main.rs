//! `edgemodule-hub` command line (see `edgemodule_hub::cli`).

fn main() -> std::process::ExitCode {
    edgemodule_hub::cli::run()
}
