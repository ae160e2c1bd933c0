//! Flags every command that reads documents shares: JSON field names and how to run.

use clap::Args;
use wiredup::config::{Config, Fields, Level};

/// JSON field names.
#[derive(Debug, Args)]
pub struct FieldArgs {
    /// JSON field holding the document id (default: the line number when absent).
    #[arg(long, default_value = "id", help_heading = "JSON fields")]
    pub id_field: String,
    /// JSON field holding the text.
    #[arg(long, default_value = "text", help_heading = "JSON fields")]
    pub text_field: String,
    /// JSON field holding the title (shown in reports).
    #[arg(long, default_value = "title", help_heading = "JSON fields")]
    pub title_field: String,
    /// JSON field holding the publication date (ISO 8601, RFC 2822, ...): the earliest member
    /// of a cluster is its original.
    #[arg(long, default_value = "date", help_heading = "JSON fields")]
    pub date_field: String,
    /// JSON field naming the source or outlet.
    #[arg(long, default_value = "source", help_heading = "JSON fields")]
    pub source_field: String,
    /// JSON field holding the URL.
    #[arg(long, default_value = "url", help_heading = "JSON fields")]
    pub url_field: String,
}

impl FieldArgs {
    pub fn to_fields(&self) -> Fields {
        Fields {
            id: self.id_field.clone(),
            text: self.text_field.clone(),
            title: self.title_field.clone(),
            date: self.date_field.clone(),
            source: self.source_field.clone(),
            url: self.url_field.clone(),
        }
    }
}

/// Threads, progress and how strictly to treat bad input.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Worker threads (default: every core). Output is identical at any count.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bar and no warnings on stderr (problems are still counted in the summary
    /// and in the exit code).
    #[arg(long, short)]
    pub quiet: bool,
    /// Stop at the first input problem (exit 2) instead of skipping it.
    #[arg(long)]
    pub strict: bool,
}

impl RunArgs {
    /// Sizes the worker pool from --threads (once per process).
    pub fn set_threads(&self) -> anyhow::Result<()> {
        if let Some(n) = self.threads {
            use anyhow::Context as _;
            rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build_global().context("--threads")?;
        }
        Ok(())
    }
}

/// What counts as a copy, and how candidates are found: the knobs that shape signatures and
/// verdicts (the staged commands keep them in a parameters file).
#[derive(Debug, Args)]
pub struct MatchArgs {
    /// Keep a pair whose exact shingle Jaccard is at least this (0..1).
    #[arg(long, default_value_t = 0.5, help_heading = "Matching")]
    pub threshold: f64,

    /// ... or whose shorter text is at least this much contained in the other (0..1): finds a
    /// trimmed wire copy inside a longer article.
    #[arg(long, default_value_t = 0.8, help_heading = "Matching")]
    pub containment: f64,

    /// Words per shingle.
    #[arg(long, default_value_t = 5, help_heading = "Matching")]
    pub ngram: usize,

    /// MinHash values per document (signature length).
    #[arg(long, default_value_t = 128, help_heading = "Matching")]
    pub num_perm: usize,

    /// LSH bands; with --rows, overrides the banding derived from the thresholds.
    #[arg(long, requires = "rows", help_heading = "Matching")]
    pub bands: Option<usize>,

    /// LSH rows per band; bands x rows must not exceed --num-perm.
    #[arg(long, requires = "bands", help_heading = "Matching")]
    pub rows: Option<usize>,

    /// LSH buckets larger than this are checked as a star around one member, not all pairs.
    #[arg(long, default_value_t = wiredup::config::DEFAULT_MAX_BUCKET, value_name = "N", help_heading = "Matching")]
    pub max_bucket: usize,

    /// Never link documents whose dates are further apart than this (e.g. 72h, 3d, 90m);
    /// documents without a readable date are unaffected.
    #[arg(long, value_name = "DURATION", help_heading = "Matching")]
    pub window: Option<String>,
}

impl MatchArgs {
    /// A checked configuration at `level` with these knobs.
    pub fn to_config(&self, level: Level) -> anyhow::Result<Config> {
        let bands_rows = self.bands.zip(self.rows);
        let mut config = Config::new(level, self.ngram, self.num_perm, self.threshold, self.containment, bands_rows)?;
        config.max_bucket = self.max_bucket.max(2);
        config.window = self.window.as_deref().map(wiredup::config::parse_window).transpose()?;
        Ok(config)
    }
}
