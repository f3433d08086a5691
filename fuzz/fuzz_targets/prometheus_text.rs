//! Prometheus text exposition (what `--server-metrics` scrapes): any text parses or is
//! refused with an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = gauntlet::telemetry::expo::parse(text);
        let _ = gauntlet::telemetry::expo::parse_value(text);
    }
});
