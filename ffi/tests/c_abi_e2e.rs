//! The C ABI from C: tests/c/run_mock.c, compiled with `cc` against include/gauntlet.h and
//! the built cdylib, runs a benchmark against the mock server to completion, cancels a second
//! one midway, and checks both runs' accounting.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gauntlet::mock::{LatencyModel, MockConfig, MockServer};

/// The folder holding the built cdylib: `cargo test` leaves it beside the test binary
/// (target/debug/deps/), `cargo build` in target/debug/.
fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let deps = exe.parent().expect("deps/").to_path_buf();
    let profile = deps.parent().expect("the profile folder").to_path_buf();
    [deps, profile]
        .into_iter()
        .find(|d| d.join("libgauntlet_ffi.so").exists())
        .unwrap_or_else(|| panic!("no libgauntlet_ffi.so beside {}", exe.display()))
}

#[test]
fn c_program_runs_and_cancels_against_the_mock() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("c_abi_e2e");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let lib = library_dir();
    let program = work.join("run_mock");
    let cc = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".to_string()))
        .arg("-std=c99")
        .arg("-D_POSIX_C_SOURCE=200112L")
        .args(["-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&program)
        .arg(manifest.join("../tests/c/run_mock.c"))
        .arg(format!("-I{}", manifest.join("include").display()))
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lgauntlet_ffi")
        .arg("-pthread")
        .output()
        .expect("cc runs");
    assert!(
        cc.status.success(),
        "cc failed:\n{}",
        String::from_utf8_lossy(&cc.stderr)
    );

    // ~16 tokens at 5 ms apart: a request takes ~90 ms, so the 100,000-request run is midway
    // when it is cancelled.
    let server = MockServer::start(MockConfig {
        ttft: LatencyModel::Fixed(Duration::from_millis(10)),
        itl: LatencyModel::Fixed(Duration::from_millis(5)),
        ..MockConfig::default()
    })
    .expect("mock server starts");
    let mut child = Command::new(&program)
        .arg(server.url())
        .arg(&work)
        .env("GAUNTLET_CACHE_DIR", work.join("cache"))
        .env("HF_HUB_OFFLINE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the C program runs");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(240) {
            let _ = child.kill();
            panic!("the C program ran past 240 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        status.success(),
        "run_mock failed ({status}):\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("complete: scheduled 6 completed 6"),
        "{stdout}"
    );
    assert!(stdout.ends_with("ok\n"), "{stdout}");
    println!("{stdout}");
    // The artifacts are the CLI's files.
    for file in [
        "profile_export_aiperf.json",
        "profile_export_aiperf.csv",
        "profile_export.jsonl",
    ] {
        assert!(work.join("complete").join(file).exists(), "{file} missing");
        assert!(work.join("cancelled").join(file).exists(), "{file} missing");
    }
    let _ = std::fs::remove_dir_all(&work);
}
