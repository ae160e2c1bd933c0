//! Flags every command that reads documents shares: JSON field names and how to run.

use clap::Args;
use wiredup::config::Fields;

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
