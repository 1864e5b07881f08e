//! The `dateline` binary: parse the command line, set up logging, run the subcommand.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = dateline::cli::Cli::parse();
    // Held to the end: dropping it writes out the log lines still queued (before any error).
    let log_guard = dateline::telemetry::init(&cli.log);
    let outcome = dateline::cli::run(cli).await;
    drop(log_guard);
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
