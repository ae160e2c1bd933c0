//! The parameters file of staged runs (`sign`, `verify`, `cluster`): every knob that shapes a
//! signature or a verdict, versioned, written beside each stage's output, and compared before
//! any two outputs are combined. Signatures made under different parameters never meet.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{Config, Level, SIGNATURE_VERSION};
use crate::error::{Result, StageError};

/// `format` of every parameters file.
pub const PARAMS_FORMAT: &str = "wiredup-params";
/// Version of the parameters file's layout.
pub const PARAMS_VERSION: u32 = 1;
/// Seed of the parameters fingerprint.
const FINGERPRINT_SEED: u64 = 0x7061_7261_6d73_3031; // "params01"

/// The knobs of a staged run. Copy level only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub format: String,
    pub version: u32,
    pub signature_version: u32,
    pub level: String,
    pub ngram: usize,
    pub num_perm: usize,
    pub bands: usize,
    pub rows: usize,
    pub threshold: f64,
    pub containment: f64,
    pub max_bucket: usize,
    /// `--window` in seconds.
    pub window: Option<i64>,
    /// `--wrapped`: candidates from sampled shingles too. Written only when set, so that the
    /// parameters (and fingerprints) of runs without it are those of versions before it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub wrapped: bool,
}

/// A parameters file as stored: the parameters and their fingerprint.
#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    params: Params,
    fingerprint: String,
}

impl Params {
    /// The parameters of a copy-level configuration; the story level is refused.
    pub fn of(config: &Config) -> Result<Params> {
        if config.level != Level::Copy {
            return Err(StageError::StoryLevel.into());
        }
        Ok(Params {
            format: PARAMS_FORMAT.into(),
            version: PARAMS_VERSION,
            signature_version: SIGNATURE_VERSION,
            level: "copy".into(),
            ngram: config.ngram,
            num_perm: config.num_perm,
            bands: config.lsh.bands,
            rows: config.lsh.rows,
            threshold: config.threshold,
            containment: config.containment,
            max_bucket: config.max_bucket,
            window: config.window,
            wrapped: config.wrapped,
        })
    }

    /// The configuration these parameters describe, checked as flags are.
    pub fn to_config(&self) -> Result<Config> {
        let bands_rows = Some((self.bands, self.rows));
        let mut config =
            Config::new(Level::Copy, self.ngram, self.num_perm, self.threshold, self.containment, bands_rows)?;
        config.max_bucket = self.max_bucket.max(2);
        config.window = self.window;
        config.wrapped = self.wrapped;
        Ok(config)
    }

    /// A 64-bit hash of every value: equal parameters, equal fingerprints, on every machine.
    /// Stored in every signature row.
    pub fn fingerprint(&self) -> u64 {
        let json = serde_json::to_string(self).expect("parameters serialize");
        xxhash_rust::xxh3::xxh3_64_with_seed(json.as_bytes(), FINGERPRINT_SEED)
    }

    /// The file holding the parameters of the output at `output`.
    pub fn beside(output: &Path) -> PathBuf {
        let mut name = output.as_os_str().to_owned();
        name.push(".params.json");
        PathBuf::from(name)
    }

    /// The parameters as their file holds them (pretty JSON, with the fingerprint).
    pub fn to_json(&self) -> String {
        let stored = Stored { params: self.clone(), fingerprint: format!("{:016x}", self.fingerprint()) };
        serde_json::to_string_pretty(&stored).expect("parameters serialize") + "\n"
    }

    /// Writes the parameters to `path`, atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        crate::report::write_atomic(path, |w| w.write_all(self.to_json().as_bytes()))
    }

    /// Reads a parameters file, checking its format, versions and fingerprint.
    pub fn load(path: &Path) -> Result<Params> {
        let shown = path.display().to_string();
        let bad = |why: String| StageError::Params { path: shown.clone(), why };
        let text = std::fs::read_to_string(path).map_err(|e| crate::error::Error::io(path, e))?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(PARAMS_FORMAT) {
            return Err(bad(format!("no \"format\": \"{PARAMS_FORMAT}\"")).into());
        }
        if let Some(found) = value.get("version").and_then(|v| v.as_u64()) {
            if found > PARAMS_VERSION as u64 {
                let e = StageError::ParamsVersion { path: shown, found: found as u32, supported: PARAMS_VERSION };
                return Err(e.into());
            }
        }
        let stored: Stored = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
        let params = stored.params;
        if params.signature_version != SIGNATURE_VERSION {
            let e = StageError::SignatureVersion {
                path: shown,
                found: params.signature_version,
                supported: SIGNATURE_VERSION,
            };
            return Err(e.into());
        }
        if params.level != "copy" {
            return Err(StageError::StoryLevel.into());
        }
        let expected = format!("{:016x}", params.fingerprint());
        if stored.fingerprint != expected {
            let why = format!(
                "fingerprint {} does not match its values ({expected}): edited by hand? Write a new one with `wiredup params`",
                stored.fingerprint
            );
            return Err(bad(why).into());
        }
        params.to_config()?;
        Ok(params)
    }

    /// The parameters stored beside the output at `output`.
    pub fn load_beside(output: &Path) -> Result<Params> {
        let path = Params::beside(output);
        if !path.exists() {
            let e =
                StageError::MissingParams { path: output.display().to_string(), params: path.display().to_string() };
            return Err(e.into());
        }
        Params::load(&path)
    }

    /// Refuses `other` (from `b`) unless it equals `self` (from `a`), naming the first value
    /// that differs.
    pub fn require_same(&self, a: &str, other: &Params, b: &str) -> Result<()> {
        let x = serde_json::to_value(self).expect("parameters serialize");
        let y = serde_json::to_value(other).expect("parameters serialize");
        const KEYS: [&str; 12] = [
            "format",
            "version",
            "signature_version",
            "level",
            "ngram",
            "num_perm",
            "bands",
            "rows",
            "threshold",
            "containment",
            "max_bucket",
            "window",
        ];
        for what in KEYS {
            if x[what] != y[what] {
                let e = StageError::Mismatch {
                    what,
                    a: a.into(),
                    a_value: x[what].to_string(),
                    b: b.into(),
                    b_value: y[what].to_string(),
                };
                return Err(e.into());
            }
        }
        debug_assert_eq!(self, other);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Params {
        Params::of(&Config::new(Level::Copy, 5, 128, 0.5, 0.8, None).unwrap()).unwrap()
    }

    #[test]
    fn a_saved_file_loads_back_equal_and_an_edit_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        let p = params();
        p.save(&path).unwrap();
        assert_eq!(Params::load(&path).unwrap(), p);
        let edited = std::fs::read_to_string(&path).unwrap().replace("\"ngram\": 5", "\"ngram\": 4");
        std::fs::write(&path, edited).unwrap();
        let e = Params::load(&path).unwrap_err().to_string();
        assert!(e.contains("fingerprint"), "{e}");
    }

    #[test]
    fn the_first_difference_is_named_with_both_values() {
        let a = params();
        let mut b = a.clone();
        b.ngram = 4;
        assert_ne!(a.fingerprint(), b.fingerprint());
        let e = a.require_same("x.parquet", &b, "y.parquet").unwrap_err().to_string();
        assert!(e.contains("ngram is 5 in x.parquet but 4 in y.parquet"), "{e}");
        a.require_same("x", &a.clone(), "y").unwrap();
    }

    #[test]
    fn the_story_level_and_future_versions_are_refused() {
        let story = Config::new(Level::Story, 5, 128, 0.5, 0.8, None).unwrap();
        assert!(Params::of(&story).is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        std::fs::write(&path, params().to_json().replace("\"version\": 1", "\"version\": 9")).unwrap();
        let e = Params::load(&path).unwrap_err().to_string();
        assert!(e.contains("version 9 is newer"), "{e}");
    }
}
