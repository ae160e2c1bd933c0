//! `wiredup check`: new documents against an index (or an archive folder), as a CI gate.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use wiredup::check::CheckStats;
use wiredup::config::{Config, Fields, Level, StoryParams};
use wiredup::index::{self, Index, Paths, SegmentData};
use wiredup::input::Inputs;
use wiredup::pipeline::Pipeline;
use wiredup::report::{self, CheckContext};
use wiredup::verify::Relation;

use super::common::{FieldArgs, RunArgs};
use super::exit::ExitCode;
use super::index::SignatureArgs;
use super::progress::Console;
use super::scan::LevelArg;

pub const CHECK_EXIT_CODES_HELP: &str = "\
Exit codes:
  0  no new document matches at or above --fail-on (skipped input is a warning only)
  1  a new document matches at or above --fail-on
  2  error: bad flags, flags that conflict with the index, an unreadable or damaged index, an
     archive file that changed since it was indexed";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Near-identical texts only (Jaccard >= 0.8).
    Duplicate,
    /// Verbatim reuse of a large part, and duplicates.
    Copy,
    /// Rewrites of the same story too (story level).
    Rewrite,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Each matching document with its matches, scores and one evidence sentence pair.
    Text,
    /// One JSON object per new document (every one, matched or not), one per line.
    Json,
    /// GitHub Actions workflow annotations (::warning file=PATH,line=N::...).
    Github,
}

#[derive(Debug, Args)]
#[command(after_help = CHECK_EXIT_CODES_HELP)]
pub struct CheckArgs {
    /// New documents: files or folders (.txt .md .jsonl .json, plain or .gz/.zst, and .parquet);
    /// no path, or -, reads JSONL from stdin.
    pub paths: Vec<PathBuf>,

    /// The index to check against (see `wiredup index build`).
    #[arg(long, value_name = "INDEX", required_unless_present = "against", conflicts_with = "against")]
    pub index: Option<PathBuf>,

    /// Check against these archive files or folders, signed on the fly (no index; for small
    /// archives).
    #[arg(long, value_name = "PATH")]
    pub against: Vec<PathBuf>,

    /// story: rewrites of the same story too (needs an index built at story level); copy:
    /// verbatim reuse only.
    #[arg(long, value_enum, default_value_t = LevelArg::Story)]
    pub level: LevelArg,

    /// Exit 1 when a match is at least this strong (duplicate > copy > rewrite).
    #[arg(long, value_enum, default_value_t = FailOn::Copy)]
    pub fail_on: FailOn,

    /// Report on stdout.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,

    /// Aligned sentence pairs quoted per match (0: none).
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub evidence: usize,

    /// Matches shown per new document in text and GitHub output, strongest first (0: all); the
    /// rest are counted in one line. JSON lists every match. A story syndicated thousands of
    /// times would otherwise fill the report with one line per copy.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub max_matches: usize,

    /// Keep a match whose exact shingle Jaccard is at least this (default: the index's).
    #[arg(long, help_heading = "Matching")]
    pub threshold: Option<f64>,

    /// ... or whose shorter text is this much contained in the other (default: the index's).
    #[arg(long, help_heading = "Matching")]
    pub containment: Option<f64>,

    #[command(flatten)]
    pub signature: SignatureArgs,

    /// Story level: a match when the cosine of the weighted story features is at least this.
    #[arg(long, default_value_t = wiredup::config::DEFAULT_STORY_FLOOR, help_heading = "Story level")]
    pub story_floor: f64,

    /// Story level: sketch features held by more documents than this make no candidates.
    #[arg(long, default_value_t = wiredup::story::DEFAULT_MAX_BUCKET, value_name = "N", help_heading = "Story level")]
    pub story_max_bucket: usize,

    /// Band buckets: at most this many indexed documents per key are checked.
    #[arg(long, default_value_t = wiredup::config::DEFAULT_MAX_BUCKET, value_name = "N")]
    pub max_bucket: usize,

    #[command(flatten)]
    pub fields: FieldArgs,

    #[command(flatten)]
    pub run: RunArgs,
}

impl FailOn {
    fn relation(self) -> Relation {
        match self {
            FailOn::Duplicate => Relation::Duplicate,
            FailOn::Copy => Relation::Copy,
            FailOn::Rewrite => Relation::Rewrite,
        }
    }
}

impl CheckArgs {
    /// The configuration new documents are signed and verified with: the index's signature
    /// parameters, this command's thresholds and level.
    fn to_config(&self, base: Config) -> anyhow::Result<Config> {
        let level = match self.level {
            LevelArg::Copy => Level::Copy,
            LevelArg::Story => Level::Story,
        };
        let threshold = self.threshold.unwrap_or(base.threshold);
        let containment = self.containment.unwrap_or(base.containment);
        let mut config = Config::new(
            level,
            base.ngram,
            base.num_perm,
            threshold,
            containment,
            Some((base.lsh.bands, base.lsh.rows)),
        )?;
        config.max_bucket = self.max_bucket.max(2);
        config.story = StoryParams::new(self.story_floor, config.story.neighbors, config.story.link)?;
        config.story.max_bucket = self.story_max_bucket.max(2);
        config.fields = self.fields.to_fields();
        config.strict = self.run.strict;
        config.wrapped = base.wrapped;
        Ok(config)
    }
}

/// What a check should say about its inputs on stderr: files skipped by their extension or
/// not read as documents (JSONL without texts), documents named by their line for want of a
/// usable id, and a check of no document at all (a CI step
/// pointed at the wrong folder would pass unnoticed).
fn input_notes(inputs: &Inputs, stats: &CheckStats, fields: &Fields) -> Vec<String> {
    let mut notes: Vec<String> = report::ignored_files_note(&inputs.ignored_files).into_iter().collect();
    notes.extend(report::input_notes(&stats.notes, fields));
    if stats.docs == 0 {
        notes.push(
            "warning: no new document was read from the paths given, so nothing was checked (inputs: .txt .md \
             .jsonl .json, optionally .gz or .zst, and .parquet)"
                .to_string(),
        );
    }
    notes
}

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    args.run.set_threads()?;
    let reads_stdin = args.paths.is_empty() || args.paths.iter().any(|p| p.as_os_str() == "-");
    if reads_stdin && std::io::stdin().is_terminal() {
        anyhow::bail!("no input: name the new files or folders (e.g. `wiredup check --index archive.idx new/`), or pipe JSONL into stdin");
    }
    let console = Console::new(args.run.quiet);
    // The archive: an index on disk, or one signed now (its inputs must outlive the check: the
    // texts of spooled inputs are re-read from the spool).
    let mut _archive_inputs = None;
    let (index, archive) = match &args.index {
        Some(dir) => {
            let index = Index::open(dir)?;
            args.signature.check_against(&index.params, "check was given")?;
            (index, format!("index {}", dir.display()))
        }
        None => {
            let s = &args.signature;
            let level = match args.level {
                LevelArg::Copy => Level::Copy,
                LevelArg::Story => Level::Story,
            };
            let mut config = Config::new(
                level,
                s.ngram.unwrap_or(5),
                s.num_perm.unwrap_or(128),
                args.threshold.unwrap_or(0.5),
                args.containment.unwrap_or(0.8),
                s.bands.zip(s.rows),
            )?;
            config.fields = args.fields.to_fields();
            config.wrapped = s.wrapped;
            let story = level == Level::Story;
            let params = index::params_of(&config, story);
            let mut inputs = Inputs::open(&args.against, config.fields.clone())?;
            let signed = Pipeline::new(index::for_indexing(config.clone())).read(&mut inputs, &console)?;
            let sketch = if story { index::INDEX_SKETCH } else { 0 };
            let data = SegmentData::from_signed(
                signed,
                &inputs,
                &config.fields.text,
                config.lsh.bands,
                sketch,
                Paths::InMemory,
            )?;
            let index = Index::in_memory(params, config.threshold, config.containment, &data)?;
            _archive_inputs = Some(inputs);
            let shown = args.against.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" ");
            (index, format!("--against {shown}"))
        }
    };
    let base = index::config_of(&index.params, &index.manifest, args.fields.to_fields())?;
    let config = args.to_config(base)?;
    let tuned = Config::lsh_target(index.manifest.threshold, index.manifest.containment);
    if Config::lsh_target(config.threshold, config.containment) < tuned - 1e-9 && !args.run.quiet {
        console.eprintln(&format!(
            "note: the index's banding was tuned for --threshold {} --containment {}; pairs below those may be missed",
            index.manifest.threshold, index.manifest.containment
        ));
    }
    let level = if config.level == Level::Story { "story" } else { "copy" };
    let pipeline = Pipeline::new(config);
    let mut inputs = Inputs::open(&args.paths, pipeline.config().fields.clone())?;
    let out = wiredup::check::check(&pipeline, &index, &mut inputs, &console, args.evidence);
    console.finish();
    let out = out?;
    if !args.run.quiet {
        for note in input_notes(&inputs, &out.stats, &pipeline.config().fields) {
            console.eprintln(&note);
        }
    }
    let fail_on = args.fail_on.relation();
    let ctx = CheckContext { inputs: &inputs, fail_on, archive, level, max_matches: args.max_matches };
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    match args.format {
        CheckFormat::Text => report::check_text(&mut w, &out, &ctx)?,
        CheckFormat::Json => report::check_json(&mut w, &out, &ctx)?,
        CheckFormat::Github => report::check_github(&mut w, &out, &ctx)?,
    }
    w.flush()?;
    let failed = out.matches.iter().flatten().any(|m| report::fails(m, fail_on));
    Ok(if failed { ExitCode::Matched } else { ExitCode::Success })
}
