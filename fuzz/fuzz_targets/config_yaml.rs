//! A `--config` YAML file: read, then resolved into settings (every key checked). Any text
//! is refused with errors naming file:line, never a panic or an unbounded expansion.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(file) = gauntlet::config::ConfigFile::parse(text, "fuzz.yaml") {
            let _ = file.resolve();
        }
    }
});
