//! The end-to-end tests, one module per area, built as one test binary: each test binary links
//! the library and its dependencies again (with LTO in the release profile), so one binary
//! instead of seven takes minutes off `cargo test --release`.

mod common;

mod blocks;
mod cli;
mod index;
mod out_of_core;
mod parquet_io;
mod staged;
mod story;
mod wrapped;
