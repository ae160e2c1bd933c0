//! wiredup finds near-duplicates and syndicated rewrites in news text.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`input`]: files, folders, JSONL (plain, gzip, zstd), Parquet and stdin -> raw documents;
//! 2. [`normalize`]: Unicode folding -> words (hashed, without building a normalized copy);
//! 3. [`shingle`]: words -> u64 word n-gram hashes (sorted and unique for verification);
//! 4. [`minhash`]: shingle set -> signature; [`lsh`]: signature -> band keys -> candidate pairs;
//! 5. [`verify`]: candidate pair -> exact Jaccard and containment -> scored pair;
//! 6. [`cluster`]: scored pairs -> clusters with their original; [`report`]: -> JSONL, summaries.
//!
//! [`stage`] runs the copy level in separate steps (sign, verify, cluster) under one
//! [`params::Params`] file, for engines such as Spark.
//!
//! [`index`] keeps an archive's signatures on disk, and [`check`] matches new documents against
//! it with the same stages.
//!
//! [`pipeline::Pipeline`] runs them in order over [`input::Inputs`]:
//!
//! ```no_run
//! use wiredup::{config::{Config, Level}, input::Inputs, pipeline::{Pipeline, Silent}};
//! let config = Config::new(Level::Copy, 5, 128, 0.5, 0.8, None)?;
//! let mut inputs = Inputs::open(&["seeds".into()], config.fields.clone())?;
//! let scan = Pipeline::new(config).scan(&mut inputs, &Silent)?;
//! for p in &scan.pairs {
//!     println!("{} {} {:.2}", scan.docs[p.a as usize].id, scan.docs[p.b as usize].id, p.score);
//! }
//! # Ok::<(), wiredup::error::Error>(())
//! ```

pub mod check;
pub mod cluster;
mod columnar;
pub mod config;
pub mod date;
pub mod error;
pub mod evidence;
mod hash;
pub mod index;
pub mod input;
pub mod lsh;
pub mod minhash;
pub mod normalize;
pub mod params;
pub mod pipeline;
pub mod report;
pub mod shingle;
pub mod spill;
pub mod stage;
pub mod story;
pub mod verify;
