//! The `wiredup` binary: parse flags, run one subcommand, map the outcome to an exit code.

mod cli;

use clap::Parser;
use cli::exit::ExitCode;
use cli::{Cli, Command};

/// Per-document buffers are made on one thread and freed on another by the thousand; mimalloc
/// does that faster than the system allocator (see Cargo.toml).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Scan(args) => cli::scan::run(args),
        Command::Index(command) => cli::index::run(command),
        Command::Check(args) => cli::check::run(args),
        Command::Params(args) => cli::stage::run_params(args),
        Command::Sign(args) => cli::stage::run_sign(args),
        Command::Verify(args) => cli::stage::run_verify(args),
        Command::Cluster(args) => cli::stage::run_cluster(args),
    };
    match outcome {
        Ok(code) => code.into(),
        Err(e) if is_broken_pipe(&e) => ExitCode::Success.into(),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::Error.into()
        }
    }
}

/// `wiredup scan ... | head` closes stdout early; that is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}
