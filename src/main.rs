//! The `dateline` binary: parse the command line, set up logging, run the subcommand.

use clap::Parser;

/// mimalloc: cheaper than glibc malloc for the many small, short-lived allocations of
/// request handling, and it returns memory to the system promptly.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = dateline::cli::Cli::parse();
    dateline::telemetry::init(&cli.log);
    match dateline::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
