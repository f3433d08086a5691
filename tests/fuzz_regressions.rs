//! Every input that crashed a fuzz target (scripts/fuzz.sh, fuzz/fuzz_targets/), kept as a
//! named test so CI holds the fix. The inputs live in tests/fixtures/fuzz/.

use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(name)
}

/// speed_bench_rows, 2026-12-06: a corrupt parquet footer made the parquet crate 57.3 panic
/// (`Option::unwrap()` on `None` in its thrift metadata decoder; apache/arrow-rs#9742). Now an
/// error naming the file.
#[test]
fn speed_bench_rows_corrupt_parquet_footer_is_an_error_not_a_panic() {
    let path = fixture("speed_bench_rows_thrift_unwrap.parquet");
    let err = gauntlet::dataset::public::rows::read_rows(&path)
        .expect_err("a corrupt file must not read")
        .to_string();
    assert!(
        err.starts_with(&format!("{}: not readable as parquet", path.display())),
        "{err}"
    );
    assert!(!err.contains('\n'), "{err}");
}
