//! Command line: arguments -> `Config` -> pipeline -> reports, with exit codes and progress.

pub mod check;
pub mod common;
pub mod exit;
pub mod index;
pub mod progress;
pub mod scan;
pub mod stage;

use clap::{Parser, Subcommand};

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success: every input read
  2  error: bad flags, unreadable output, or --strict and a bad input
  3  finished, but some input was skipped (each skip is a warning on stderr naming file and line)";

#[derive(Debug, Parser)]
#[command(
    name = "wiredup",
    version,
    about = "Find near-duplicates and syndicated rewrites in news text",
    long_about = "Find near-duplicates and syndicated rewrites in news text.\n\n\
        wiredup reads articles (text files, folders, JSONL, optionally gzip or zstd compressed), \
        signs each with MinHash, finds candidate pairs with LSH, verifies every candidate exactly, \
        and reports pairs and clusters with the original of each cluster.",
    after_help = EXIT_CODES_HELP,
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find copies among a set of documents: pairs, clusters and each cluster's original.
    Scan(scan::ScanArgs),
    /// Keep an archive's signatures on disk, for `check`: build, add, compact, info.
    #[command(subcommand)]
    Index(index::IndexCommand),
    /// Check new documents against an index (or an archive folder): a CI gate for copied content.
    Check(check::CheckArgs),
    /// Staged run, step 0: write the parameters file every staged step shares.
    Params(stage::ParamsArgs),
    /// Staged run, step 1: sign documents into a signature table (one per shard).
    Sign(stage::SignArgs),
    /// Staged run, step 2: candidate pairs from signature tables, verified exactly.
    Verify(stage::VerifyArgs),
    /// Staged run, step 3: clusters and originals from verified pairs, as `scan` reports them.
    Cluster(stage::ClusterArgs),
}
