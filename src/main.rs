//! The `dateline` binary: parse the command line, set up logging, run the subcommand.

use clap::Parser;

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
