//! Run configuration: every knob of the pipeline, validated once when it is built.
//!
//! The library never sees command-line types; the binary turns its flags into a [`Config`].

use crate::error::ConfigError;
use crate::lsh::LshParams;

/// Which kind of "same" a run looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Verbatim or near-verbatim reuse: word n-gram shingles, exact Jaccard and containment.
    Copy,
    /// Rewrites of the same story (paraphrase): added by the story-level stage.
    Story,
}

/// Names of the JSON fields that carry each part of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    pub id: String,
    pub text: String,
    pub title: String,
    pub date: String,
    pub source: String,
    pub url: String,
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            id: "id".into(),
            text: "text".into(),
            title: "title".into(),
            date: "date".into(),
            source: "source".into(),
            url: "url".into(),
        }
    }
}

/// Seeds of every hash that shapes a signature. Fixed: signatures must be equal on every
/// machine and in every version of the format; changing one is a format change.
pub const SHINGLE_SEED: u64 = 0x7769_7265_6475_7031; // "wiredup1"
pub const MINHASH_SEED: u64 = 0x6d69_6e68_6173_6831; // "minhash1"
pub const BAND_SEED: u64 = 0x6261_6e64_6b65_7931; // "bandkey1"
/// Seed of the hash of each document's text that an index keeps, to notice an archive file that
/// changed after it was indexed (xxh3: fast, and equal on every machine).
pub const TEXT_SEED: u64 = 0x7465_7874_7375_6d31; // "textsum1"

/// Version of the signature algorithm (shingle hashing, MinHash, band keys). Stored in every
/// index; bumped whenever a change makes signatures differ, so that an old index is refused
/// instead of silently matching nothing.
pub const SIGNATURE_VERSION: u32 = 2;

/// Largest LSH bucket turned into all its pairs; a larger one is linked as a star around its
/// first member (the cluster stays whole, not every pair is listed; the summary counts them).
pub const DEFAULT_MAX_BUCKET: usize = 2000;

/// Default `--story-floor`: between the seeds' same-people, different-event pair (cosine 0.118)
/// and their weakest true pair (0.175) under [`crate::story::Weighting`]'s norm (README, "How
/// the story thresholds were chosen").
pub const DEFAULT_STORY_FLOOR: f64 = 0.15;

/// Story-level knobs. Chosen on ecbplus-dev and the seeds (see README, "How the story
/// thresholds were chosen").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoryParams {
    /// A candidate pair is linked when the cosine of its weighted feature vectors is at least this.
    pub floor: f64,
    /// Neighbours per document in the second-order similarity.
    pub neighbors: usize,
    /// Average-link merging stops below this mean second-order similarity.
    pub link: f64,
    /// Sketch buckets (features) shared by more documents are not enumerated.
    pub max_bucket: usize,
    /// Features kept in a document's sketch, its heaviest ([`crate::story::SALIENT_FEATURES`]);
    /// an index keeps fewer, and signs with fewer ([`crate::index::for_indexing`]).
    pub sketch: usize,
}

impl StoryParams {
    /// Checked story parameters.
    pub fn new(floor: f64, neighbors: usize, link: f64) -> Result<Self, ConfigError> {
        check_range("--story-floor", floor, 0.0, 1.0)?;
        check_range("--story-link", link, 0.0, 1.0)?;
        check_range("--neighbors", neighbors as f64, 1.0, 100.0)?;
        Ok(StoryParams {
            floor,
            neighbors,
            link,
            max_bucket: crate::story::DEFAULT_MAX_BUCKET,
            sketch: crate::story::SALIENT_FEATURES,
        })
    }
}

impl Default for StoryParams {
    fn default() -> Self {
        StoryParams {
            floor: DEFAULT_STORY_FLOOR,
            neighbors: 5,
            link: 0.03,
            max_bucket: crate::story::DEFAULT_MAX_BUCKET,
            sketch: crate::story::SALIENT_FEATURES,
        }
    }
}

/// Everything a scan needs to know. Build it with [`Config::new`] and adjust the public fields
/// that are plain values; the checked ones (`threshold`, `containment`, `lsh`) are set here.
#[derive(Debug, Clone)]
pub struct Config {
    pub level: Level,
    /// Words per shingle (copy level).
    pub ngram: usize,
    /// Signature length (MinHash values per document).
    pub num_perm: usize,
    /// Keep a pair when its exact Jaccard is at least this.
    pub threshold: f64,
    /// ... or when either text is contained in the other at least this much.
    pub containment: f64,
    /// Banding of the signature.
    pub lsh: LshParams,
    pub max_bucket: usize,
    pub fields: Fields,
    /// Make the first input problem fatal instead of a warning.
    pub strict: bool,
    /// Documents whose dates are further apart than this many seconds are never linked.
    pub window: Option<i64>,
    /// Attach aligned sentence pairs to every reported pair.
    pub evidence: bool,
    pub story: StoryParams,
    /// Most feature values (shingles, vector entries) of re-read documents held in memory at
    /// once during verification; documents are re-read in blocks of this size. Results do not
    /// depend on it.
    pub verify_block: usize,
    /// Rough bound on the memory a scan uses, in bytes (`None`: no bound). Set it with
    /// [`Config::set_memory_limit`], which also shrinks `verify_block`. When the band keys held
    /// would exceed a quarter of it, [`crate::pipeline::Pipeline::scan`] spills them to a
    /// temporary folder as sorted runs ([`crate::spill`]). Results do not depend on it.
    pub memory_limit: Option<u64>,
    /// Also find texts contained in much longer ones (a wire story wrapped in local
    /// paragraphs), which band keys of whole signatures miss beyond about twice the length:
    /// candidates from sampled shingles ([`crate::lsh::contained_candidates`]), verified like
    /// any other. Scan, the staged `verify`, and an index built with it (which keeps the
    /// samples for `check`); not bounded by `memory_limit`.
    pub wrapped: bool,
}

/// [`Config::wrapped`]: a pair is a candidate when it shares at least this share of the smaller
/// text's sampled shingles (a text contained 0.8 shares about 0.8 of them).
pub const WRAPPED_MIN_SHARE: f64 = 0.5;

/// [`Config::wrapped`]: a sampled shingle found in more documents than this is boilerplate and
/// makes no candidates (enumerating its documents costs the square of their number).
pub const WRAPPED_MAX_BUCKET: usize = 1000;

/// Default [`Config::verify_block`]: 32 Mi values, about 256 MiB of shingles.
pub const DEFAULT_VERIFY_BLOCK: usize = 32 << 20;

/// How far below the Jaccard threshold LSH is tuned.
pub const RECALL_MARGIN: f64 = 0.1;

/// The Jaccard similarity at which LSH must still find a pair whose shorter text is
/// `containment` contained in a text twice its length: J = c / (1 + 2 - c).
pub fn containment_jaccard(containment: f64) -> f64 {
    containment / (3.0 - containment)
}

impl Config {
    /// A checked configuration. `bands_rows` overrides the banding derived from the thresholds.
    pub fn new(
        level: Level,
        ngram: usize,
        num_perm: usize,
        threshold: f64,
        containment: f64,
        bands_rows: Option<(usize, usize)>,
    ) -> Result<Self, ConfigError> {
        check_range("--threshold", threshold, 0.0, 1.0)?;
        check_range("--containment", containment, 0.0, 1.0)?;
        check_range("--ngram", ngram as f64, 1.0, 64.0)?;
        check_range("--num-perm", num_perm as f64, 1.0, 4096.0)?;
        // Both levels band the copy-level signature (the story level finds copies too).
        let lsh = match bands_rows {
            Some((b, r)) => LshParams::new(b, r, num_perm)?,
            None => LshParams::optimal(Self::lsh_target(threshold, containment), num_perm),
        };
        Ok(Config {
            level,
            ngram,
            num_perm,
            threshold,
            containment,
            lsh,
            max_bucket: DEFAULT_MAX_BUCKET,
            fields: Fields::default(),
            strict: false,
            window: None,
            evidence: false,
            story: StoryParams::default(),
            verify_block: DEFAULT_VERIFY_BLOCK,
            memory_limit: None,
            wrapped: false,
        })
    }

    /// Bounds a scan's memory to about `bytes`: band keys held in memory get a quarter of it
    /// ([`Config::key_budget`]; beyond, they are spilled to disk), and so do the re-read
    /// documents' shingles during verification (`verify_block`, 8 bytes per value). Per-document
    /// records (ids, metadata), story sketches and the candidate pairs are not bounded.
    pub fn set_memory_limit(&mut self, bytes: u64) {
        self.memory_limit = Some(bytes);
        self.verify_block = self.verify_block.min((bytes / 4 / 8).max(1) as usize);
    }

    /// Bytes of band keys a scan holds in memory before spilling them (`None`: no limit).
    pub fn key_budget(&self) -> Option<usize> {
        self.memory_limit.map(|m| (m / 4) as usize)
    }

    /// The similarity LSH is tuned for: [`RECALL_MARGIN`] below the Jaccard threshold (the
    /// S-curve's steep part then lies below it, so pairs at the threshold are found with
    /// probability ~0.99), and lower still if needed so that a trimmed copy half the length of
    /// the text it sits in (containment >= `containment`) becomes a candidate.
    pub fn lsh_target(threshold: f64, containment: f64) -> f64 {
        (threshold - RECALL_MARGIN).min(containment_jaccard(containment)).max(0.05)
    }
}

/// Reads a duration such as `72h`, `3d`, `90m`, `3600s` (a bare number is hours) into seconds.
pub fn parse_window(value: &str) -> Result<i64, ConfigError> {
    let v = value.trim();
    let err = || ConfigError::Window { value: value.to_string() };
    let split = v.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: f64 = num.parse().map_err(|_| err())?;
    let scale = match unit.trim() {
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "" | "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 604_800.0,
        _ => return Err(err()),
    };
    Ok((n * scale).round() as i64)
}

/// Reads a size such as `500M`, `2G`, `2GB`, `64k`, `1.5G` or `1000000` (bytes) for `flag`; units
/// are powers of 1024.
pub fn parse_size(flag: &'static str, value: &str) -> Result<u64, ConfigError> {
    let v = value.trim();
    let err = || ConfigError::Size { flag, value: value.to_string() };
    let split = v.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: f64 = num.parse().map_err(|_| err())?;
    let scale = match unit.trim().to_ascii_uppercase().trim_end_matches("IB").trim_end_matches('B') {
        "" => 1u64,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(err()),
    };
    let bytes = n * scale as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(err());
    }
    Ok(bytes as u64)
}

fn check_range(flag: &'static str, value: f64, min: f64, max: f64) -> Result<(), ConfigError> {
    if value.is_nan() || value < min || value > max {
        return Err(ConfigError::OutOfRange { flag, value, min, max });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_outside_unit_interval_are_refused_with_the_flag_name() {
        let e = Config::new(Level::Copy, 5, 128, 1.5, 0.8, None).unwrap_err();
        assert!(e.to_string().contains("--threshold"), "{e}");
        let e = Config::new(Level::Copy, 5, 128, 0.5, -0.1, None).unwrap_err();
        assert!(e.to_string().contains("--containment"), "{e}");
    }

    #[test]
    fn bands_times_rows_beyond_num_perm_is_refused() {
        let e = Config::new(Level::Copy, 5, 128, 0.5, 0.8, Some((20, 7))).unwrap_err();
        assert_eq!(e, ConfigError::BandsRows { bands: 20, rows: 7, product: 140, num_perm: 128 });
    }

    #[test]
    fn windows_read_common_units() {
        assert_eq!(parse_window("72h"), Ok(72 * 3600));
        assert_eq!(parse_window("3d"), Ok(3 * 86_400));
        assert_eq!(parse_window("90m"), Ok(5400));
        assert_eq!(parse_window("12"), Ok(12 * 3600));
        assert!(parse_window("soon").is_err());
        assert!(parse_window("5y").is_err());
    }

    #[test]
    fn sizes_read_common_units() {
        assert_eq!(parse_size("--memory-limit", "500M"), Ok(500 << 20));
        assert_eq!(parse_size("--memory-limit", "2G"), Ok(2 << 30));
        assert_eq!(parse_size("--memory-limit", "2gb"), Ok(2 << 30));
        assert_eq!(parse_size("--memory-limit", "64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("--memory-limit", "1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("--memory-limit", "1000"), Ok(1000));
        let e = parse_size("--memory-limit", "lots").unwrap_err();
        assert!(e.to_string().contains("--memory-limit"), "{e}");
        assert!(parse_size("--memory-limit", "5X").is_err());
        assert!(parse_size("--memory-limit", "").is_err());
    }

    #[test]
    fn a_memory_limit_bounds_verification_blocks() {
        let mut c = Config::new(Level::Copy, 5, 128, 0.5, 0.8, None).unwrap();
        assert_eq!(c.key_budget(), None);
        c.set_memory_limit(256 << 20);
        assert_eq!(c.key_budget(), Some(64 << 20));
        assert_eq!(c.verify_block, 8 << 20);
        c.set_memory_limit(64 << 30);
        assert_eq!(c.verify_block, 8 << 20, "never raised above what it was");
    }

    #[test]
    fn lsh_target_covers_half_length_containment() {
        let t = Config::lsh_target(0.5, 0.8);
        assert!((t - 0.8 / 2.2).abs() < 1e-12);
        assert!((Config::lsh_target(0.2, 0.8) - 0.1).abs() < 1e-12);
        // Without containment the target still sits below the threshold.
        assert!((Config::lsh_target(0.5, 1.0) - 0.4).abs() < 1e-12);
    }
}
