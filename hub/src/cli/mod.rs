//! The `edgemodule-hub` command line: `serve` runs the hub; `env`, `monitor`, `invoke` and
//! `twin` talk to a running hub through its admin API.

mod args;
mod build;
mod client;
mod commands;
mod logging;
mod new;
mod runtime_args;
mod runtime_cmds;
mod serve;
mod stats;

use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command};
pub use client::CliError;

/// Parses the command line, runs the subcommand and returns the process exit code. Errors
/// are printed as one line on stderr.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("edgemodule-hub: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(dispatch(cli.command));
    // Do not wait for stray tasks (e.g. a streaming connection) at exit.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("edgemodule-hub: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(command: Command) -> Result<(), CliError> {
    match command {
        Command::Serve(args) => {
            logging::init(args.log_format, &args.log_level);
            serve::serve(args).await
        }
        Command::Env(args) => {
            logging::init(args::LogFormat::Text, "warn");
            commands::env(args).await
        }
        Command::Monitor(args) => {
            logging::init(args::LogFormat::Text, "warn");
            commands::monitor(args).await
        }
        Command::Invoke(args) => {
            logging::init(args::LogFormat::Text, "warn");
            commands::invoke(args).await
        }
        Command::Twin(args) => {
            logging::init(args::LogFormat::Text, "warn");
            commands::twin(args).await
        }
        Command::Inspect(args) => {
            logging::init(args::LogFormat::Text, "warn");
            commands::inspect(args).await
        }
        Command::Stats(args) => {
            logging::init(args::LogFormat::Text, "warn");
            stats::stats(args).await
        }
        Command::Up(mut args) => {
            logging::init(args.log_format, &args.log_level);
            if args.runtime.run_modules.is_none() {
                args.runtime.run_modules = Some(runtime_args::RunModulesArg::Auto);
            }
            serve::serve(args).await
        }
        Command::Ps(args) => {
            logging::init(args::LogFormat::Text, "warn");
            runtime_cmds::ps(args).await
        }
        Command::Logs(args) => {
            logging::init(args::LogFormat::Text, "warn");
            runtime_cmds::logs(args).await
        }
        Command::Build(args) => {
            logging::init(args::LogFormat::Text, "warn");
            build::build(args).await
        }
        Command::New(args) => {
            logging::init(args::LogFormat::Text, "warn");
            new::new(args)
        }
    }
}
