//! The Python wheel end to end: scripts/build-wheel.sh builds it from the debug artifacts, pip
//! installs it offline into a fresh venv, `gauntlet --version` runs from the venv's PATH, the
//! CLI runs a plan against the mock, and tests/python/wheel_e2e.py runs the same plan through
//! `gauntlet.profile` (same request count, same artifact files) and cancels a long run from a
//! Python thread (cancelled, partial artifacts).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

const REQUESTS: u64 = 12;

/// Checks a wheel's RECORD (PEP 376/427): every file listed once with its size and urlsafe
/// base64 sha256 (RECORD itself without), the dist-info's METADATA and WHEEL there, the
/// binaries executable.
const CHECK_RECORD: &str = r#"
import base64, csv, hashlib, io, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = set(z.namelist())
record = [n for n in names if n.endswith(".dist-info/RECORD")]
assert len(record) == 1, record
rows = list(csv.reader(io.StringIO(z.read(record[0]).decode())))
listed = {r[0] for r in rows}
assert listed == names, (listed ^ names)
for path, digest, size in rows:
    if path == record[0]:
        assert digest == "" and size == "", (path, digest, size)
        continue
    data = z.read(path)
    sha = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    assert digest == "sha256=" + sha and int(size) == len(data), path
for needed in ("METADATA", "WHEEL"):
    assert record[0].replace("RECORD", needed) in names, needed
for name in names:
    if "/scripts/" in name:
        assert (z.getinfo(name).external_attr >> 16) & 0o111, name
"#;

/// Runs `command`, failing the test with its output when it fails.
fn run_ok(command: &mut Command, what: &str) -> Output {
    let out = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn sorted_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The C library built from the same sources as this test: the one beside the binaries when
/// it is newer than every build of the gauntlet library (`cargo test --workspace` builds it
/// with the rest), else a `cargo build -p gauntlet-ffi` makes it (a test run alone).
fn ffi_library(profile_dir: &Path) -> PathBuf {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let deps = profile_dir.join("deps");
    let newest_lib = std::fs::read_dir(&deps)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("libgauntlet-") && name.ends_with(".rlib")
        })
        .filter_map(|p| modified(&p))
        .max();
    let candidates = [
        profile_dir.join("libgauntlet_ffi.so"),
        deps.join("libgauntlet_ffi.so"),
    ];
    let newest_so = candidates
        .iter()
        .filter_map(|p| modified(p).map(|t| (t, p)))
        .max();
    if let Some((built, path)) = newest_so {
        if newest_lib.is_none_or(|lib| built >= lib) {
            return path.clone();
        }
    }
    eprintln!("libgauntlet_ffi.so is missing or older than the library: building it");
    let mut cargo = Command::new(env!("CARGO"));
    // Without the variables cargo set for this test: build scripts that watch one (ring's
    // CARGO_MANIFEST_DIR) would see it change and rebuild on every later plain cargo call.
    let set_for_tests = [
        "CARGO_MANIFEST_",
        "CARGO_PKG_",
        "CARGO_CRATE_",
        "CARGO_BIN_",
    ];
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if set_for_tests.iter().any(|p| name.starts_with(p))
            || ["CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "OUT_DIR"].contains(&&*name)
        {
            cargo.env_remove(&*name);
        }
    }
    run_ok(
        cargo
            .args(["build", "--locked", "-p", "gauntlet-ffi", "--lib"])
            .env("CARGO_TARGET_DIR", profile_dir.parent().unwrap())
            .current_dir(env!("CARGO_MANIFEST_DIR")),
        "cargo build -p gauntlet-ffi",
    );
    candidates[0].clone()
}

fn plan_json(url: &str) -> serde_json::Value {
    serde_json::json!({
        "schemaVersion": "2.0",
        "benchmark": {
            "model": "mock-model",
            "endpoint": {"url": url, "type": "chat", "streaming": true},
            "dataset": {"type": "synthetic", "entries": 8,
                        "prompts": {"isl": {"mean": 32}, "osl": {"mean": 16}}},
            "phases": [{"type": "concurrency", "concurrency": 2, "requests": REQUESTS}],
        }
    })
}

#[test]
fn wheel_installs_the_cli_and_the_module_and_runs_against_the_mock() {
    let started = Instant::now();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python_wheel_e2e");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();

    // A machine without venv fails here, loudly: scripts/setup.sh installs python3-venv.
    let venv = work.join("venv");
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output();
    match made {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`python3 -m venv` failed (run scripts/setup.sh: python3-venv): {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!("no python3 (run scripts/setup.sh): {e}"),
    }

    let bin_dir = Path::new(env!("CARGO_BIN_EXE_gauntlet")).parent().unwrap();
    assert_eq!(
        Path::new(env!("CARGO_BIN_EXE_gauntlet-ffmpeg")).parent(),
        Some(bin_dir)
    );
    let library = ffi_library(bin_dir);
    let dist = work.join("dist");
    // scripts/build-wheel.sh --profile debug without its cargo build: this test's build made
    // the binaries.
    let built = run_ok(
        Command::new("python3")
            .arg(repo.join("scripts/build_wheel.py"))
            .arg("--bin-dir")
            .arg(bin_dir)
            .arg("--library")
            .arg(&library)
            .arg("--out")
            .arg(&dist)
            .arg("--store"),
        "scripts/build_wheel.py",
    );
    let wheel = PathBuf::from(String::from_utf8_lossy(&built.stdout).trim());
    let version = env!("CARGO_PKG_VERSION");
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&format!("gauntlet-{version}-py3-none-")) && name.ends_with(".whl"),
        "{name}"
    );
    run_ok(
        Command::new("python3")
            .args(["-c", CHECK_RECORD])
            .arg(&wheel),
        "the wheel's RECORD",
    );
    eprintln!("wheel built at {:.1} s", started.elapsed().as_secs_f64());

    let bin = venv.join("bin");
    run_ok(
        Command::new(bin.join("python"))
            .args(["-m", "pip", "install", "--no-index", "--no-deps", "--quiet"])
            .args(["--disable-pip-version-check", "--no-compile"])
            .arg(&wheel),
        "pip install --no-index",
    );
    eprintln!("installed at {:.1} s", started.elapsed().as_secs_f64());

    // `gauntlet` from the PATH (the venv's bin first, as an activated venv has it).
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let which = run_ok(
        Command::new("sh")
            .args(["-c", "command -v gauntlet && gauntlet --version"])
            .env("PATH", &path),
        "gauntlet --version from PATH",
    );
    let which = String::from_utf8_lossy(&which.stdout).into_owned();
    assert!(
        which.starts_with(&bin.join("gauntlet").display().to_string()),
        "{which}"
    );
    assert!(which.contains(version), "{which}");
    assert!(bin.join("gauntlet-ffmpeg").is_file());

    let server = common::mock(1, 1);
    let plan = plan_json(&server.url());
    std::fs::write(work.join("plan.json"), plan.to_string()).unwrap();
    let cli_dir = work.join("cli");
    run_ok(
        Command::new("gauntlet")
            .args(["profile", "--config"])
            .arg(work.join("plan.json"))
            .arg("--output-artifact-dir")
            .arg(&cli_dir)
            .env("PATH", &path)
            .env("GAUNTLET_CACHE_DIR", common::cache_dir())
            .env("HF_HUB_OFFLINE", "1"),
        "the venv's gauntlet profile",
    );

    let out = run_ok(
        Command::new(bin.join("python"))
            .arg(repo.join("tests/python/wheel_e2e.py"))
            .arg(server.url())
            .arg(&work)
            .env("PATH", &path)
            .env("GAUNTLET_CACHE_DIR", common::cache_dir())
            .env("HF_HUB_OFFLINE", "1")
            .env_remove("GAUNTLET_LIBRARY")
            .current_dir(&work),
        "tests/python/wheel_e2e.py",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let seen: serde_json::Value = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("no JSON line from the script ({e}):\n{stdout}"));
    eprintln!("{seen:#}");

    // The module and its library came from the venv, not from the source tree.
    assert_eq!(seen["version"], version);
    assert!(
        seen["module"]
            .as_str()
            .unwrap()
            .starts_with(&venv.display().to_string()),
        "{}",
        seen["module"]
    );

    let complete = &seen["complete"];
    assert_eq!(complete["request_count"].as_f64(), Some(REQUESTS as f64));
    assert_eq!(complete["accounting"]["completed"], REQUESTS, "{complete}");
    let cli_summary = common::json(&cli_dir, "profile_export_aiperf.json");
    assert_eq!(
        cli_summary["request_count"]["avg"].as_f64(),
        Some(REQUESTS as f64),
        "the CLI's run"
    );
    let cli_files = sorted_files(&cli_dir);
    assert_eq!(
        complete["files"],
        serde_json::json!(cli_files),
        "Python's artifact files are the CLI's"
    );
    assert!(cli_files.contains(&"profile_export.jsonl".to_string()));

    let bad = &seen["bad_config"];
    assert_eq!(bad["status"], "GAUNTLET_ERR_CONFIG", "{bad}");
    assert!(bad["message"].as_str().unwrap().contains("modle"), "{bad}");

    let cancelled = &seen["cancelled"];
    assert_eq!(cancelled["ended"], true, "{cancelled}");
    let live = &cancelled["live"];
    assert_eq!(
        live["state"], "running",
        "no live progress seen: {cancelled}"
    );
    assert!(live["completed"].as_u64().unwrap() >= 3, "{live}");
    assert_eq!(live["scheduled"], 100_000, "{live}");
    let progress = &cancelled["progress"];
    assert_eq!(progress["state"], "cancelled", "{progress}");
    assert_eq!(progress["exit_code"], 130, "{progress}");
    let completed = progress["completed"].as_u64().unwrap();
    assert!(
        (live["completed"].as_u64().unwrap()..100_000).contains(&completed),
        "{progress}"
    );
    let balance = ["completed", "failed", "cancelled", "not_sent"]
        .iter()
        .map(|k| progress[k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(balance, 100_000, "accounting: {progress}");
    assert_eq!(cancelled["was_cancelled"], true);
    let cancelled_dir = work.join("python-cancelled");
    assert_eq!(
        cancelled["artifact_dir"],
        cancelled_dir.display().to_string()
    );
    for file in [
        "profile_export_aiperf.json",
        "profile_export_aiperf.csv",
        "profile_export.jsonl",
    ] {
        assert!(cancelled_dir.join(file).is_file(), "{file} missing");
    }
    let lines = std::fs::read_to_string(cancelled_dir.join("profile_export.jsonl")).unwrap();
    assert_eq!(
        lines.lines().count() as u64,
        progress["sent"].as_u64().unwrap()
    );
    eprintln!("done in {:.1} s", started.elapsed().as_secs_f64());
    let _ = std::fs::remove_dir_all(&work);
}
