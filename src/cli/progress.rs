//! Warnings and the progress bar on stderr. The bar shows only when stderr is a terminal and
//! `--quiet` is not given; warnings show unless `--quiet`, up to a limit, then a count.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressStyle};
use wiredup::input::Problem;
use wiredup::pipeline::Observer;

/// Warnings printed before the rest are only counted.
pub(crate) const MAX_WARNINGS: usize = 100;

pub struct Console {
    bar: Option<ProgressBar>,
    quiet: bool,
    warned: AtomicUsize,
}

impl Console {
    pub fn new(quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(ProgressStyle::with_template("{spinner} {elapsed} {msg}").expect("valid template"));
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Console { bar, quiet, warned: AtomicUsize::new(0) }
    }

    /// Prints a line on stderr without tearing the progress bar.
    pub fn eprintln(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let warned = self.warned.load(Ordering::Relaxed);
        if !self.quiet && warned > MAX_WARNINGS {
            eprintln!("warning: {} more input problems not shown (the summary counts them all)", warned - MAX_WARNINGS);
        }
    }
}

impl Observer for Console {
    fn problem(&self, problem: &Problem) {
        let n = self.warned.fetch_add(1, Ordering::Relaxed);
        if !self.quiet && n < MAX_WARNINGS {
            self.eprintln(&format!("warning: {problem}"));
        }
    }

    fn progress(&self, docs: usize, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("read {docs} documents, {} MiB", bytes >> 20));
        }
    }

    fn stage(&self, name: &'static str) {
        if let Some(bar) = &self.bar {
            bar.set_prefix(name);
            bar.set_message(name.to_string());
        }
    }
}
