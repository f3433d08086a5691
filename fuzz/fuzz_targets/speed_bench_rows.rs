//! SPEED-Bench rows read from a parquet file (a downloaded or user-given file): any bytes
//! give rows or an error naming the file, never a panic.
#![no_main]

#[path = "prelude.rs"]
mod prelude;

use gauntlet::dataset::public::rows::read_rows;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = read_rows(&prelude::scratch("rows.parquet", data));
});
