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
    huge_pages_off();
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

/// Transparent huge pages off for this process, unless `MIMALLOC_ALLOW_THP` is set (then
/// mimalloc does as it says). A huge page is zeroed whole when first touched, and on virtual
/// machines whose host hands memory back lazily that zeroing swings from cheap to a third of a
/// story-level scan's CPU time; with 4 KiB pages the scans touch less fresh memory and their
/// times hold steady (docs/STORY_COST.md, session 21: 100k generated articles, alternating runs,
/// copy 1.40 -> 1.26 s and story 4.63 -> 3.49 s on such a host, about even on a quiet one).
fn huge_pages_off() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: PR_SET_THP_DISABLE takes integers only and changes a flag of this process.
        // Failing (an old kernel) leaves things as they were.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}

/// `wiredup scan ... | head` closes stdout early; that is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}
