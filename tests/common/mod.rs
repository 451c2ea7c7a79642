#![allow(dead_code)]
use std::path::PathBuf;

/// `../shared/data` beside the project (read-only).
pub fn shared_data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data")
}

pub fn data(relative: &str) -> PathBuf {
    shared_data().join(relative)
}
