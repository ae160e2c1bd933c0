//! `wiredup params`, `sign`, `verify`, `cluster`: a copy-level scan in separate steps, for
//! engines such as Spark (see docs/STAGED.md).

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use wiredup::config::Level;
use wiredup::input::Inputs;
use wiredup::input::{Problem, ProblemKind};
use wiredup::params::Params;
use wiredup::pipeline::{Observer, Pipeline};
use wiredup::stage::{self, Corpus, SignedDoc};

use super::common::{FieldArgs, MatchArgs, RunArgs};
use super::exit::ExitCode;
use super::progress::{Console, MAX_WARNINGS};
use super::scan::{check_output, ReportArgs};

const STAGED_HELP: &str = "\
The staged commands run the copy level (`scan --level copy`) in steps: params -> sign (per shard)
-> verify -> cluster. Every output gets its parameters beside it (OUTPUT.params.json); a stage
refuses inputs made under other parameters. Same inputs, same results as `wiredup scan --level copy`.

Exit codes:
  0  success
  2  error: bad flags or inputs, parameters that differ, unwritable output
  3  finished, but some input was skipped (each skip is a warning on stderr naming file and line)";

/// The matching flags (their argument ids), which a parameters file replaces.
const MATCH_FLAGS: [&str; 9] =
    ["threshold", "containment", "ngram", "num_perm", "bands", "rows", "max_bucket", "window", "wrapped"];

#[derive(Debug, Args)]
#[command(after_help = STAGED_HELP)]
pub struct ParamsArgs {
    /// Where to write the parameters file (JSON).
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,

    #[command(flatten)]
    pub matching: MatchArgs,

    /// `verify` also makes candidates from sampled shingles, as `scan --wrapped` does.
    #[arg(long, help_heading = "Matching")]
    pub wrapped: bool,
}

#[derive(Debug, Args)]
#[command(after_help = STAGED_HELP)]
pub struct SignArgs {
    /// Files or folders to read, as `scan` reads them. Not with --ipc.
    pub paths: Vec<PathBuf>,

    /// Signature table to write (Parquet): id, params, date, wire, features, bytes, keys,
    /// shingles; one row per document, in input order. Its parameters go beside it.
    #[arg(long, short, value_name = "FILE", required_unless_present = "ipc")]
    pub output: Option<PathBuf>,

    /// Parameters file to sign under (from `wiredup params`); without it, the matching flags.
    #[arg(long, value_name = "FILE", required_if_eq("ipc", "true"), conflicts_with_all = MATCH_FLAGS)]
    pub params: Option<PathBuf>,

    /// Read documents as an Arrow IPC stream on stdin (columns named by the field flags) and
    /// write signature rows as an Arrow IPC stream on stdout (for Spark's mapInArrow).
    #[arg(long, conflicts_with_all = ["output", "paths"])]
    pub ipc: bool,

    #[command(flatten)]
    pub matching: MatchArgs,

    /// `verify` also makes candidates from sampled shingles, as `scan --wrapped` does.
    #[arg(long, help_heading = "Matching")]
    pub wrapped: bool,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub fields: FieldArgs,
}

#[derive(Debug, Args)]
#[command(after_help = STAGED_HELP)]
pub struct VerifyArgs {
    /// Signature tables from `sign` (shards, in input order). Not with --ipc.
    pub signatures: Vec<PathBuf>,

    /// Verified pairs to write (Parquet): a, b (ids, a < b), relation, score, jaccard, a_in_b,
    /// b_in_a. Its parameters go beside it.
    #[arg(long, short, value_name = "FILE", required_unless_present = "ipc")]
    pub output: Option<PathBuf>,

    /// Parameters file (default: the one beside the first signature table).
    #[arg(long, value_name = "FILE", required_if_eq("ipc", "true"))]
    pub params: Option<PathBuf>,

    /// Read candidate pairs joined to their signatures as an Arrow IPC stream on stdin (a,
    /// a_shingles, a_params, b, b_shingles, b_params) and write the verified ones on stdout.
    #[arg(long, conflicts_with_all = ["output", "signatures"])]
    pub ipc: bool,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
#[command(after_help = STAGED_HELP)]
pub struct ClusterArgs {
    /// Verified pairs from `verify` (Parquet; several files are joined).
    #[arg(required = true)]
    pub edges: Vec<PathBuf>,

    /// The signature tables the pairs were verified from, in input order.
    #[arg(long, num_args = 1.., required = true, value_name = "FILE")]
    pub signatures: Vec<PathBuf>,

    /// Parameters file (default: the one beside the first signature table).
    #[arg(long, value_name = "FILE")]
    pub params: Option<PathBuf>,

    /// The pairs and clusters files, as `scan` writes them.
    #[command(flatten)]
    pub reports: ReportArgs,

    #[command(flatten)]
    pub run: RunArgs,
}

/// Every file a staged step reads: its `inputs`, the parameters file beside each, and the
/// parameters file given with `--params`.
fn read_files(inputs: &[&Path], params: Option<&Path>) -> Vec<PathBuf> {
    let beside = inputs.iter().map(|p| Params::beside(p));
    inputs.iter().map(|p| p.to_path_buf()).chain(beside).chain(params.map(Path::to_path_buf)).collect()
}

/// [`check_output`] of a staged step's `output` and of the parameters file written beside it,
/// against every file the step reads ([`read_files`]).
fn check_stage_output(output: &Path, reads: &[PathBuf]) -> anyhow::Result<()> {
    check_output("--output", output, reads.iter().map(PathBuf::as_path))?;
    check_output("--output", &Params::beside(output), reads.iter().map(PathBuf::as_path))
}

pub fn run_params(args: ParamsArgs) -> anyhow::Result<ExitCode> {
    let mut config = args.matching.to_config(Level::Copy)?;
    config.wrapped = args.wrapped;
    let params = Params::of(&config)?;
    check_output("--output", &args.output, std::iter::empty())?;
    params.save(&args.output)?;
    Ok(ExitCode::Success)
}

/// The parameters of a run: from `file` when given, else `fallback`; every one of `others` (a
/// parameters file each, beside an input) must equal them. Returns them and their name.
fn agreed(file: Option<&Path>, inputs: &[PathBuf]) -> anyhow::Result<(Params, String)> {
    let (params, name) = match file {
        Some(f) => (Params::load(f)?, f.display().to_string()),
        None => {
            let first = inputs.first().ok_or_else(|| anyhow::anyhow!("no input"))?;
            (Params::load_beside(first)?, Params::beside(first).display().to_string())
        }
    };
    for input in inputs {
        let theirs = Params::load_beside(input)?;
        params.require_same(&name, &theirs, &Params::beside(input).display().to_string())?;
    }
    Ok((params, name))
}

pub fn run_sign(args: SignArgs) -> anyhow::Result<ExitCode> {
    args.run.set_threads()?;
    let params = match &args.params {
        Some(p) => Params::load(p)?,
        None => {
            let mut config = args.matching.to_config(Level::Copy)?;
            config.wrapped = args.wrapped;
            Params::of(&config)?
        }
    };
    let mut config = params.to_config()?;
    // `verify` samples the shingles the signatures hold; signing need not.
    config.wrapped = false;
    config.strict = args.run.strict;
    config.fields = args.fields.to_fields();
    let pipeline = Pipeline::new(config);
    let console = Console::new(args.run.quiet);
    let signed = if args.ipc {
        if std::io::stdin().is_terminal() {
            anyhow::bail!("--ipc reads an Arrow IPC stream on stdin; pipe one in");
        }
        // Spooled as JSON lines, so the documents are read (and problems named by row) as a
        // Parquet input's are.
        let dir = tempfile::Builder::new().prefix("wiredup-ipc").tempdir()?;
        let spool = dir.path().join("stdin.jsonl");
        let mut out = BufWriter::new(std::fs::File::create(&spool)?);
        stage::ipc_to_jsonl(std::io::stdin().lock(), &pipeline.config().fields, &mut out)?;
        out.flush()?;
        drop(out);
        let mut inputs = Inputs::open(std::slice::from_ref(&spool), pipeline.config().fields.clone())?;
        let stdout = std::io::stdout();
        let mut sink = stage::IpcSink::new(BufWriter::new(stdout.lock()), &params)?;
        // Warnings name the stream's rows, not the spool.
        let observer = StdinRows { console: &console, spool: spool.display().to_string() };
        let signed = pipeline.sign(&mut inputs, &observer, &mut |rows: Vec<SignedDoc>| sink.write(&rows))?;
        console.finish();
        sink.finish()?;
        signed
    } else {
        let output = args.output.as_deref().expect("clap requires --output without --ipc");
        if args.paths.is_empty() {
            anyhow::bail!("no input: name files or folders to sign (or use --ipc)");
        }
        let mut inputs = Inputs::open(&args.paths, pipeline.config().fields.clone())?;
        let reads: Vec<PathBuf> = inputs.paths().map(Path::to_path_buf).chain(args.params.clone()).collect();
        check_stage_output(output, &reads)?;
        let mut batches = Vec::new();
        let signed = pipeline.sign(&mut inputs, &console, &mut |rows: Vec<SignedDoc>| {
            batches.push(stage::signatures_batch(&rows, &params));
            Ok(())
        })?;
        console.finish();
        stage::write_parquet(output, &stage::signature_schema(), batches.into_iter())?;
        params.save(&Params::beside(output))?;
        if !args.run.quiet {
            eprintln!("signed {} documents -> {}", signed.docs.len(), output.display());
        }
        signed
    };
    Ok(if signed.problems.is_empty() { ExitCode::Success } else { ExitCode::InputSkipped })
}

pub fn run_verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    args.run.set_threads()?;
    if args.ipc {
        let path = args.params.as_deref().expect("clap requires --params with --ipc");
        let params = Params::load(path)?;
        let pipeline = Pipeline::new(params.to_config()?);
        if std::io::stdin().is_terminal() {
            anyhow::bail!("--ipc reads an Arrow IPC stream on stdin; pipe one in");
        }
        let stdout = std::io::stdout();
        let out = BufWriter::new(stdout.lock());
        stage::verify_stream(&pipeline, &params, &path.display().to_string(), std::io::stdin().lock(), out)?;
        return Ok(ExitCode::Success);
    }
    let output = args.output.as_deref().expect("clap requires --output without --ipc");
    if args.signatures.is_empty() {
        anyhow::bail!("no input: name the signature tables written by `wiredup sign`");
    }
    let (params, name) = agreed(args.params.as_deref(), &args.signatures)?;
    let tables: Vec<&Path> = args.signatures.iter().map(|p| p.as_path()).collect();
    check_stage_output(output, &read_files(&tables, args.params.as_deref()))?;
    let pipeline = Pipeline::new(params.to_config()?);
    let paths: Vec<&Path> = args.signatures.iter().map(|p| p.as_path()).collect();
    let corpus = Corpus::load(&paths, &params, &name)?;
    warn(&corpus.problems, args.run.quiet);
    let (edges, stats) = corpus.verify(&pipeline);
    let batches = edges.chunks(8192).map(stage::edges_batch);
    stage::write_parquet(output, &stage::edge_schema(), batches)?;
    params.save(&Params::beside(output))?;
    if !args.run.quiet {
        eprintln!(
            "{} documents, {} candidate pairs, {} verified -> {}",
            stats.docs,
            stats.candidates.pairs,
            stats.pairs,
            output.display()
        );
    }
    Ok(if corpus.problems.is_empty() { ExitCode::Success } else { ExitCode::InputSkipped })
}

pub fn run_cluster(args: ClusterArgs) -> anyhow::Result<ExitCode> {
    args.run.set_threads()?;
    let (params, name) = agreed(args.params.as_deref(), &args.signatures)?;
    for e in &args.edges {
        params.require_same(&name, &Params::load_beside(e)?, &Params::beside(e).display().to_string())?;
    }
    let tables: Vec<&Path> = args.signatures.iter().chain(&args.edges).map(|p| p.as_path()).collect();
    let reads = read_files(&tables, args.params.as_deref());
    args.reports.check(&reads.iter().map(PathBuf::as_path).collect::<Vec<_>>())?;
    let pipeline = Pipeline::new(params.to_config()?);
    let paths: Vec<&Path> = args.signatures.iter().map(|p| p.as_path()).collect();
    let corpus = Corpus::load(&paths, &params, &name)?;
    warn(&corpus.problems, args.run.quiet);
    let mut edges = Vec::new();
    for path in &args.edges {
        let place = path.display().to_string();
        stage::read_parquet(path, |batch, first| {
            edges.extend(stage::edges_of(batch, &place, first)?.into_iter().map(|e| (e, place.clone())));
            Ok(())
        })?;
    }
    let scan = corpus.cluster(&pipeline, edges)?;
    args.reports.write(&scan, false)?;
    if !args.run.quiet {
        eprintln!(
            "{} documents, {} pairs, {} clusters holding {} documents",
            scan.stats.docs, scan.stats.pairs, scan.stats.clusters, scan.stats.docs_in_clusters
        );
    }
    Ok(if scan.problems.is_empty() { ExitCode::Success } else { ExitCode::InputSkipped })
}

/// Passes problems on to the console with the spool's name replaced by `<stdin>` (its lines are
/// the stream's rows).
struct StdinRows<'a> {
    console: &'a Console,
    spool: String,
}

impl Observer for StdinRows<'_> {
    fn problem(&self, problem: &Problem) {
        let mut p = problem.clone();
        if p.file == self.spool {
            p.file = "<stdin>".into();
        }
        if let ProblemKind::DuplicateId { first, .. } = &mut p.kind {
            *first = first.replace(&self.spool, "<stdin>");
        }
        self.console.problem(&p);
    }
}

/// The first [`MAX_WARNINGS`] problems, and how many more there are (as `scan` shows them).
fn warn(problems: &[Problem], quiet: bool) {
    if !quiet {
        for p in problems.iter().take(MAX_WARNINGS) {
            eprintln!("warning: {p}");
        }
        if problems.len() > MAX_WARNINGS {
            eprintln!("warning: {} more input problems not shown", problems.len() - MAX_WARNINGS);
        }
    }
}
