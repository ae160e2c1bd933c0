//! `wiredup index build|add|compact|info`: an archive's signatures on disk, for `wiredup check`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Subcommand, ValueEnum};
use wiredup::config::{Config, Level};
use wiredup::error::IndexError;
use wiredup::index::{self, Index, Params, Written};
use wiredup::input::Inputs;
use wiredup::pipeline::Pipeline;
use wiredup::report;

use super::common::{FieldArgs, RunArgs};
use super::exit::ExitCode;
use super::progress::Console;
use super::scan::LevelArg;

pub const INDEX_EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success: every input read
  2  error: bad flags, an unreadable or damaged index, the index locked by another command,
     a duplicate id (add), or --strict and a bad input
  3  finished, but some input was skipped (each skip is a warning on stderr naming file and line)";

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Sign an archive and write it as an index (replacing an index already in INDEX).
    Build(BuildArgs),
    /// Add documents to an index as a new segment, without signing the archive again (--replace:
    /// new versions of indexed documents, by id).
    Add(AddArgs),
    /// Merge an index's segments into one.
    Compact(CompactArgs),
    /// Print an index's counts, parameters and size.
    Info(InfoArgs),
}

/// Flags that shape a signature, as `scan` takes them, all optional: when an index exists, a
/// flag given must agree with it.
#[derive(Debug, Args)]
pub struct SignatureArgs {
    /// Words per shingle (default 5).
    #[arg(long, help_heading = "Matching")]
    pub ngram: Option<usize>,
    /// MinHash values per document (default 128).
    #[arg(long, help_heading = "Matching")]
    pub num_perm: Option<usize>,
    /// LSH bands; with --rows, overrides the banding derived from the thresholds.
    #[arg(long, requires = "rows", help_heading = "Matching")]
    pub bands: Option<usize>,
    /// LSH rows per band.
    #[arg(long, requires = "bands", help_heading = "Matching")]
    pub rows: Option<usize>,
    /// Keep each document's sampled shingles (1 in 16, about 8 bytes per 16 shingles) so that
    /// `check` also finds a new text inside an archived one several times its length, or an
    /// archived text inside a long new one (a wire story wrapped in local paragraphs), as `scan
    /// --wrapped` does. Set when the index is built; `add` and `check` follow the index.
    #[arg(long, help_heading = "Matching")]
    pub wrapped: bool,
}

impl SignatureArgs {
    /// Refuses every flag given that differs from the index's parameters, naming both values.
    pub fn check_against(&self, params: &Params, command: &'static str) -> Result<(), IndexError> {
        let given = [
            ("--ngram", self.ngram, params.ngram),
            ("--num-perm", self.num_perm, params.num_perm),
            ("--bands", self.bands, params.bands),
            ("--rows", self.rows, params.rows),
        ];
        let advice = "drop the flag to use the index's value, or build a new index with the value you want";
        for (flag, value, index) in given {
            if let Some(v) = value.filter(|&v| v != index as usize) {
                return Err(IndexError::Mismatch {
                    what: flag,
                    index: index.to_string(),
                    given_by: command,
                    given: format!("{flag} {v}"),
                    advice,
                });
            }
        }
        if self.wrapped && !params.wrapped {
            return Err(IndexError::Mismatch {
                what: "no",
                index: "sampled shingles (without --wrapped)".into(),
                given_by: command,
                given: "--wrapped".into(),
                advice: "drop the flag, or build the index with `wiredup index build --wrapped`",
            });
        }
        Ok(())
    }
}

/// How many threads; once per process.

#[derive(Debug, Args)]
#[command(after_help = INDEX_EXIT_CODES_HELP)]
pub struct BuildArgs {
    /// The index: a folder, created if needed (an index already there is replaced atomically).
    pub index: PathBuf,
    /// Files or folders to index (.txt .md .jsonl .json, plain or .gz/.zst, and .parquet; - for
    /// JSONL on stdin). Plain files' texts are read again from them at check time; the others'
    /// are kept in a copy inside the index.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// story: keep story sketches and document frequencies too, so `check` finds rewrites;
    /// copy: verbatim reuse only (smaller, faster to build).
    #[arg(long, value_enum, default_value_t = LevelArg::Story)]
    pub level: LevelArg,
    /// Jaccard threshold the banding is tuned for, and `check`'s default.
    #[arg(long, default_value_t = 0.5, help_heading = "Matching")]
    pub threshold: f64,
    /// Containment threshold the banding is tuned for, and `check`'s default.
    #[arg(long, default_value_t = 0.8, help_heading = "Matching")]
    pub containment: f64,
    #[command(flatten)]
    pub signature: SignatureArgs,
    #[command(flatten)]
    pub fields: FieldArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
#[command(after_help = INDEX_EXIT_CODES_HELP)]
pub struct AddArgs {
    /// The index to add to.
    pub index: PathBuf,
    /// Files or folders to add (as for build). A document whose id the index holds already is
    /// refused, and nothing is added (see --replace).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// A document whose id the index holds already replaces the indexed one (a corrected or
    /// updated article): `check` no longer matches the old version, and `compact` drops it.
    #[arg(long)]
    pub replace: bool,
    #[command(flatten)]
    pub signature: SignatureArgs,
    #[command(flatten)]
    pub fields: FieldArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct CompactArgs {
    /// The index whose segments to merge.
    pub index: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InfoFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The index to describe.
    pub index: PathBuf,
    #[arg(long, value_enum, default_value_t = InfoFormat::Text)]
    pub format: InfoFormat,
}

pub fn run(command: IndexCommand) -> anyhow::Result<ExitCode> {
    match command {
        IndexCommand::Build(args) => build(args),
        IndexCommand::Add(args) => add(args),
        IndexCommand::Compact(args) => compact(args),
        IndexCommand::Info(args) => info(args),
    }
}

/// Bytes per document; none for an index of no documents.
fn per_doc(bytes: u64, docs: usize) -> Option<u64> {
    (docs > 0).then(|| bytes / docs as u64)
}

/// "N bytes, M per document", or just "N bytes" when there is no document.
fn size_text(bytes: u64, docs: usize) -> String {
    match per_doc(bytes, docs) {
        Some(each) => format!("{bytes} bytes, {each} per document"),
        None => format!("{bytes} bytes"),
    }
}

fn build(args: BuildArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    args.run.set_threads()?;
    let level = match args.level {
        LevelArg::Copy => Level::Copy,
        LevelArg::Story => Level::Story,
    };
    let s = &args.signature;
    let mut config = Config::new(
        level,
        s.ngram.unwrap_or(5),
        s.num_perm.unwrap_or(128),
        args.threshold,
        args.containment,
        s.bands.zip(s.rows),
    )?;
    config.fields = args.fields.to_fields();
    config.strict = args.run.strict;
    config.wrapped = s.wrapped;
    check_inputs_outside(&args.index, &args.paths)?;
    let written = sign_with(&args.paths, config, args.run.quiet, |pipeline, inputs, console| {
        index::build(&args.index, pipeline, inputs, console)
    })?;
    println!(
        "indexed {} documents into {} ({}) in {:.1} s",
        written.docs,
        args.index.display(),
        size_text(written.bytes, written.docs),
        started.elapsed().as_secs_f64()
    );
    Ok(if written.problems.is_empty() { ExitCode::Success } else { ExitCode::InputSkipped })
}

/// Opens `paths` and runs `write` (which signs them into an index) with a progress console,
/// closing the console before any error is reported.
/// Refuses an input inside the index's folder (its own copies of spooled inputs are replaced
/// or dropped as the index changes).
fn check_inputs_outside(index: &Path, paths: &[PathBuf]) -> anyhow::Result<()> {
    let Ok(dir) = index.canonicalize() else { return Ok(()) };
    for path in paths {
        if path.canonicalize().is_ok_and(|p| p.starts_with(&dir)) {
            anyhow::bail!(
                "{}: is inside the index {}; copy it elsewhere first (the index replaces its own files)",
                path.display(),
                index.display()
            );
        }
    }
    Ok(())
}

/// Then says on stderr (unless `quiet`) which files in the folders given were not read as
/// documents, and warns when no document was read at all.
fn sign_with(
    paths: &[PathBuf],
    config: Config,
    quiet: bool,
    write: impl FnOnce(&Pipeline, &mut Inputs, &Console) -> wiredup::error::Result<Written>,
) -> anyhow::Result<Written> {
    let mut inputs = Inputs::open(paths, config.fields.clone())?;
    let console = Console::new(quiet);
    let fields = config.fields.clone();
    let written = write(&Pipeline::new(index::for_indexing(config)), &mut inputs, &console);
    console.finish();
    let written = written?;
    if !quiet {
        let ignored = report::ignored_files_note(&inputs.ignored_files);
        for note in ignored.into_iter().chain(report::input_notes(&written.notes, &fields)) {
            eprintln!("{note}");
        }
        if written.added == 0 {
            eprintln!(
                "warning: no document was read from the paths given (inputs: .txt .md .jsonl .json, optionally .gz or \
                 .zst, and .parquet)"
            );
        }
    }
    Ok(written)
}

fn add(args: AddArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    args.run.set_threads()?;
    let (params, manifest) = index::read_manifest(&args.index)?;
    args.signature.check_against(&params, "`index add` was given")?;
    let mut config = index::config_of(&params, &manifest, args.fields.to_fields())?;
    config.strict = args.run.strict;
    check_inputs_outside(&args.index, &args.paths)?;
    let written = sign_with(&args.paths, config, args.run.quiet, |pipeline, inputs, console| {
        index::add(&args.index, pipeline, inputs, console, args.replace)
    })?;
    println!(
        "added {} documents{} to {}: {} documents ({} bytes) in {:.1} s",
        written.added,
        if written.replaced > 0 { format!(" ({} replacing indexed ones)", written.replaced) } else { String::new() },
        args.index.display(),
        written.docs,
        written.bytes,
        started.elapsed().as_secs_f64()
    );
    Ok(if written.problems.is_empty() { ExitCode::Success } else { ExitCode::InputSkipped })
}

fn compact(args: CompactArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let written = index::compact(&args.index)?;
    println!(
        "compacted {}: {} documents in one segment ({} bytes) in {:.1} s",
        args.index.display(),
        written.docs,
        written.bytes,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::Success)
}

fn info(args: InfoArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let index = Index::open(&args.index)?;
    let opened = started.elapsed();
    let p = index.params;
    let size = index.size();
    let (sketch, df) = index.segments.iter().map(|s| s.story_entries()).fold((0, 0), |(a, b), (x, y)| (a + x, b + y));
    let samples: usize = index.segments.iter().map(|s| s.sample_entries()).sum();
    let segments: Vec<serde_json::Value> = index
        .manifest
        .segments
        .iter()
        .map(|s| serde_json::json!({"file": s.file, "docs": s.docs, "bytes": s.bytes}))
        .collect();
    match args.format {
        InfoFormat::Json => {
            let v = serde_json::json!({
                "index": path_shown(&args.index),
                "documents": index.live(),
                "replaced_documents": index.replaced(),
                "segments": segments,
                "bytes": size,
                "bytes_per_document": per_doc(size, index.len()),
                "format_version": index::format::FORMAT_VERSION,
                "signature_version": p.signature_version,
                "normalization_version": p.normalization_version,
                "ngram": p.ngram,
                "num_perm": p.num_perm,
                "bands": p.bands,
                "rows": p.rows,
                "seeds": {"shingle": p.shingle_seed, "minhash": p.minhash_seed, "band": p.band_seed, "story": p.story_seed},
                "story_sketch": p.sketch,
                "sketch_entries": sketch,
                "df_entries": df,
                "wrapped": p.wrapped,
                "sample_entries": samples,
                "threshold": index.manifest.threshold,
                "containment": index.manifest.containment,
                "open_seconds": opened.as_secs_f64(),
            });
            println!("{v}");
        }
        InfoFormat::Text => {
            println!("index {}", path_shown(&args.index));
            if index.replaced() > 0 {
                println!(
                    "documents: {} ({} replaced ones still stored until `index compact`)",
                    index.live(),
                    index.replaced()
                );
            } else {
                println!("documents: {}", index.live());
            }
            println!(
                "segments: {} ({})",
                index.segments.len(),
                index
                    .manifest
                    .segments
                    .iter()
                    .map(|s| format!("{}: {} documents", s.file, s.docs))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            match per_doc(size, index.len()) {
                Some(each) => println!("size: {size} bytes ({each} per document)"),
                None => println!("size: {size} bytes"),
            }
            println!(
                "format version {}, signature version {}, normalization version {}",
                index::format::FORMAT_VERSION,
                p.signature_version,
                p.normalization_version
            );
            println!(
                "signature: --ngram {} --num-perm {}, {} bands x {} rows; seeds shingle {:#x}, minhash {:#x}, band {:#x}",
                p.ngram, p.num_perm, p.bands, p.rows, p.shingle_seed, p.minhash_seed, p.band_seed
            );
            if p.sketch > 0 {
                println!(
                    "story: {} sketch features per document ({sketch} entries), {df} document frequencies, seed {:#x}",
                    p.sketch, p.story_seed
                );
            } else {
                println!("story: none (built with --level copy)");
            }
            if p.wrapped {
                println!("wrapped copies: sampled shingles kept ({samples} entries)");
            } else {
                println!("wrapped copies: not looked for (built without --wrapped)");
            }
            println!(
                "check defaults: --threshold {} --containment {}",
                index.manifest.threshold, index.manifest.containment
            );
            println!("opened and checked in {:.3} s", opened.as_secs_f64());
        }
    }
    Ok(ExitCode::Success)
}

fn path_shown(p: &Path) -> String {
    index::format::absolute(p).display().to_string()
}
