//! `wiredup scan`: its flags, their translation into a `Config`, and the run.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, ValueEnum};
use wiredup::config::{Config, Level};
use wiredup::error::ConfigError;
use wiredup::input::Inputs;
use wiredup::pipeline::{Pipeline, ScanOutput};
use wiredup::report::{self, Context};

use super::common::{FieldArgs, MatchArgs, RunArgs};
use super::exit::ExitCode;
use super::progress::Console;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LevelArg {
    /// Verbatim or near-verbatim reuse (word n-gram Jaccard or containment).
    Copy,
    /// Rewrites of the same story (paraphrase): the same event, people, places, numbers and
    /// quotes; finds copies too.
    Story,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable summary with the top clusters.
    Text,
    /// One JSON object with counts, timings, parameters and the top clusters.
    Json,
}

/// How `--pairs` and `--clusters` are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// One JSON object per line.
    Jsonl,
    /// A Parquet table: one row per pair, one row per cluster member.
    Parquet,
}

impl OutputFormat {
    /// The format asked for, or else the one the file name says (`.parquet`), or else JSONL.
    fn of(asked: Option<Self>, path: &Path) -> Self {
        let parquet = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
        asked.unwrap_or(if parquet { OutputFormat::Parquet } else { OutputFormat::Jsonl })
    }
}

/// The pairs and clusters files a run writes, and their format.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Write every verified pair as JSONL: {"a","b","relation","score","jaccard","a_in_b","b_in_a"}.
    #[arg(long, value_name = "FILE")]
    pub pairs: Option<PathBuf>,

    /// Write every cluster of 2+ documents as JSONL: {"cluster","original","size","members"}.
    #[arg(long, value_name = "FILE")]
    pub clusters: Option<PathBuf>,

    /// Format of --pairs and --clusters (default: parquet for a .parquet file name, else jsonl).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub output_format: Option<OutputFormat>,
}

impl ReportArgs {
    /// Refuses, before any work, an output that is an input, a folder, or in a folder that does
    /// not exist, and `--pairs` and `--clusters` naming one file.
    pub fn check(&self, inputs: &[&Path]) -> anyhow::Result<()> {
        for (flag, out) in [("--pairs", &self.pairs), ("--clusters", &self.clusters)] {
            if let Some(out) = out {
                check_output(flag, out, inputs.iter().copied())?;
            }
        }
        if let (Some(pairs), Some(clusters)) = (&self.pairs, &self.clusters) {
            if report::same_file(pairs, clusters) {
                anyhow::bail!("--pairs and --clusters name the same file ({}): give each its own", pairs.display());
            }
        }
        Ok(())
    }

    /// Writes the files asked for (see [`write_reports`]).
    pub fn write(&self, scan: &ScanOutput, evidence: bool) -> anyhow::Result<()> {
        write_reports(scan, self.pairs.as_deref(), self.clusters.as_deref(), self.output_format, evidence)
    }
}

#[derive(Debug, Args)]
#[command(after_help = super::EXIT_CODES_HELP)]
pub struct ScanArgs {
    /// Files or folders to read (.txt .md .jsonl .json, plain or .gz/.zst, and .parquet); folders
    /// are walked recursively. No path, or -, reads JSONL from stdin.
    pub paths: Vec<PathBuf>,

    /// What counts as the same: story = rewrites of the same story (and copies), copy = verbatim
    /// reuse only (faster).
    #[arg(long, value_enum, default_value_t = LevelArg::Story)]
    pub level: LevelArg,

    /// With --pairs: attach to every pair up to 5 aligned sentence pairs, quoted from the
    /// original texts: {"evidence": [{"a": text, "b": text, "score": f}, ...]}.
    #[arg(long, requires = "pairs")]
    pub evidence: bool,

    #[command(flatten)]
    pub reports: ReportArgs,

    /// Summary on stdout: text for people, json for programs.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Print the LSH banding chosen and its S-curve (probability of becoming a candidate at
    /// each similarity) on stderr.
    #[arg(long)]
    pub explain: bool,

    /// Keep memory roughly within this size (e.g. 500M, 2G; at least 1M). When the LSH band
    /// keys (about 340 bytes per document) would outgrow a quarter of it, they are written to a
    /// temporary folder (TMPDIR) as sorted runs and merged back to find candidates; verification
    /// re-reads documents in blocks of at most another quarter. Results are identical with or
    /// without it; it costs disk space about 1.5x the keys and some time. Not bounded: per-document
    /// ids and metadata (a few hundred bytes each), story sketches, --wrapped samples and the candidate pairs.
    #[arg(long, value_name = "SIZE")]
    pub memory_limit: Option<String>,

    #[command(flatten)]
    pub matching: MatchArgs,

    #[command(flatten)]
    pub run: RunArgs,

    /// Also find a text inside one several times its length (a wire story wrapped in local
    /// paragraphs): the LSH bands of whole texts meet only up to about twice the length. Pairs
    /// sharing at least half of the smaller text's sampled shingles (1 in 16, chosen by hash, so
    /// the same in every text) are verified too, against --containment. Costs about 25% more
    /// time and 8 bytes per 16 shingles of memory, not bounded by --memory-limit. Also in the
    /// staged commands (`params --wrapped`), on Spark, and in an index (`index build --wrapped`).
    #[arg(long, help_heading = "Matching")]
    pub wrapped: bool,

    /// Story level: link a candidate pair when the cosine of its weighted features is at
    /// least this (0..1).
    #[arg(long, default_value_t = wiredup::config::DEFAULT_STORY_FLOOR, help_heading = "Story level")]
    pub story_floor: f64,

    /// Story level: merge clusters while their mean shared-neighbour similarity is at least
    /// this (0..1); higher splits more.
    #[arg(long, default_value_t = 0.03, help_heading = "Story level")]
    pub story_link: f64,

    /// Story level: neighbours per document in the shared-neighbour similarity.
    #[arg(long, default_value_t = 5, help_heading = "Story level")]
    pub neighbors: usize,

    /// Story level: a feature found in the sketches of more documents than this is too common
    /// to tell stories apart and does not make candidates (the summary counts such features).
    #[arg(long, default_value_t = wiredup::story::DEFAULT_MAX_BUCKET, value_name = "N", help_heading = "Story level")]
    pub story_max_bucket: usize,

    /// Clusters shown in the summary.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,

    #[command(flatten)]
    pub fields: FieldArgs,
}

impl ScanArgs {
    /// The library configuration these flags describe, checked.
    pub fn to_config(&self) -> anyhow::Result<Config> {
        let level = match self.level {
            LevelArg::Copy => Level::Copy,
            LevelArg::Story => Level::Story,
        };
        let mut config = self.matching.to_config(level)?;
        config.evidence = self.evidence;
        config.wrapped = self.wrapped;
        config.story = wiredup::config::StoryParams::new(self.story_floor, self.neighbors, self.story_link)?;
        config.story.max_bucket = self.story_max_bucket.max(2);
        config.strict = self.run.strict;
        config.fields = self.fields.to_fields();
        if let Some(limit) = &self.memory_limit {
            const FLAG: &str = "--memory-limit";
            let bytes = wiredup::config::parse_size(FLAG, limit)?;
            if bytes < MIN_MEMORY_LIMIT {
                let e = ConfigError::SizeTooSmall { flag: FLAG, value: limit.clone(), min: "1M".into() };
                return Err(e.into());
            }
            config.set_memory_limit(bytes);
        }
        Ok(config)
    }
}

/// Smallest `--memory-limit`: below it, band-key runs get so small (a few thousand documents) that
/// their number, not their size, costs time (one file each, read in one buffer each per band).
const MIN_MEMORY_LIMIT: u64 = 1 << 20;

fn explain(config: &Config, overridden: bool) -> String {
    let lsh = config.lsh;
    let target = Config::lsh_target(config.threshold, config.containment);
    let why = if overridden {
        "as set by --bands and --rows".to_string()
    } else {
        format!(
            "tuned for Jaccard {target:.3}: the lower of --threshold {} minus {} and {:.3}, the Jaccard of a \
             half-length copy at --containment {}",
            config.threshold,
            wiredup::config::RECALL_MARGIN,
            wiredup::config::containment_jaccard(config.containment),
            config.containment
        )
    };
    let mut s = format!(
        "LSH: {} bands x {} rows of {} MinHash values, {why}\n\
         probability that a pair becomes a candidate, by its Jaccard similarity:\n",
        lsh.bands, lsh.rows, config.num_perm,
    );
    for sim in [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0] {
        s.push_str(&format!("  J = {sim:.1}: {:.4}\n", lsh.probability(sim)));
    }
    if config.level == Level::Story {
        s.push_str(&format!(
            "story level, besides: each document's sketch holds its {} heaviest word, name and number \
             features (weighted by a built-in English background table); two documents are candidates \
             when the weights their sketches share multiply and add up to >= {:.3} ({} x --story-floor), \
             and are linked when the cosine of their full weighted vectors is >= --story-floor {}\n",
            wiredup::story::SALIENT_FEATURES,
            config.story.floor * wiredup::story::SKETCH_VOTE,
            wiredup::story::SKETCH_VOTE,
            config.story.floor
        ));
    }
    s
}

/// Writes the pairs and clusters files asked for, each atomically, in the format asked for or
/// named by its extension.
pub fn write_reports(
    scan: &ScanOutput,
    pairs: Option<&Path>,
    clusters: Option<&Path>,
    format: Option<OutputFormat>,
    evidence: bool,
) -> anyhow::Result<()> {
    if let Some(path) = pairs {
        match OutputFormat::of(format, path) {
            OutputFormat::Jsonl => report::write_atomic(path, |w| report::write_pairs(w, scan, evidence))?,
            OutputFormat::Parquet => report::write_atomic(path, |w| report::write_pairs_parquet(w, scan))?,
        }
    }
    if let Some(path) = clusters {
        match OutputFormat::of(format, path) {
            OutputFormat::Jsonl => report::write_atomic(path, |w| report::write_clusters(w, scan))?,
            OutputFormat::Parquet => report::write_atomic(path, |w| report::write_clusters_parquet(w, scan))?,
        }
    }
    Ok(())
}

/// Refuses an output that is an input, a folder, or in a folder that does not exist (before
/// any work).
pub fn check_output<'a>(flag: &str, out: &Path, inputs: impl Iterator<Item = &'a Path>) -> anyhow::Result<()> {
    report::check_not_input(out, inputs)?;
    if out.is_dir() {
        anyhow::bail!("{flag} {}: is a folder; name a file to write", out.display());
    }
    let dir = out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !dir.is_dir() {
        anyhow::bail!("{flag} {}: folder {} does not exist", out.display(), dir.display());
    }
    Ok(())
}

pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let config = args.to_config()?;
    args.run.set_threads()?;
    if args.explain {
        eprint!("{}", explain(&config, args.matching.bands.is_some()));
    }
    let reads_stdin = args.paths.is_empty() || args.paths.iter().any(|p| p.as_os_str() == "-");
    if reads_stdin && std::io::stdin().is_terminal() {
        if args.explain && args.paths.is_empty() {
            return Ok(ExitCode::Success);
        }
        anyhow::bail!("no input: name files or folders (e.g. `wiredup scan seeds`), or pipe JSONL into stdin");
    }
    let mut inputs = Inputs::open(&args.paths, config.fields.clone())?;
    // Fail now, not after the scan, when an output cannot be written.
    args.reports.check(&inputs.paths().collect::<Vec<_>>())?;
    if let Some(pairs) = &args.reports.pairs {
        if args.evidence && OutputFormat::of(args.reports.output_format, pairs) == OutputFormat::Parquet {
            anyhow::bail!("--evidence is written to JSONL pairs only; write --pairs to a .jsonl file");
        }
    }
    let console = Console::new(args.run.quiet);
    let pipeline = Pipeline::new(config);
    let scan = pipeline.scan(&mut inputs, &console);
    console.finish();
    let scan = scan?;

    args.reports.write(&scan, args.evidence)?;
    let ctx = Context {
        config: pipeline.config(),
        inputs: &inputs,
        pipeline: &pipeline,
        top: args.top,
        total: started.elapsed(),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        Format::Text => report::text_summary(&mut out, &scan, &ctx)?,
        Format::Json => report::json_summary(&mut out, &scan, &ctx)?,
    }
    out.flush()?;
    Ok(if scan.problems.is_empty() { ExitCode::Success } else { ExitCode::InputSkipped })
}
