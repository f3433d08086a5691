//! `json_scan::is_json_object`, the structural check the record processor runs on every
//! reply event, against serde_json: it may accept a little more than a parser (escapes and
//! UTF-8 inside strings are not checked), but it must never refuse a real JSON object, which
//! would turn a good reply into an error.
#![no_main]

use gauntlet::json_scan::is_json_object;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let scanned = is_json_object(data);
    let parsed = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(data).is_ok();
    assert!(
        scanned || !parsed,
        "serde_json reads an object that is_json_object refuses: {:?}",
        String::from_utf8_lossy(data)
    );
});
