//! The workload cache: a second run of the same synthetic workload reads it back instead of
//! building it, and sends byte-identical requests.

mod common;

use common::*;

const FLAGS: [&str; 10] = [
    "--isl",
    "48",
    "--isl-stddev",
    "8",
    "--osl",
    "6",
    "--request-count",
    "12",
    "--random-seed",
    "99",
];

fn run(
    server: &MockServer,
    name: &str,
    cache: &std::path::Path,
    extra_env: &[(&str, &str)],
) -> (String, Vec<u8>) {
    let dir = artifact_dir(name);
    let mut env = vec![("GAUNTLET_CACHE_DIR", cache.to_str().unwrap())];
    env.extend_from_slice(extra_env);
    let out = profile_with_env(&server.url(), &dir, &FLAGS, &env);
    assert!(out.status.success(), "{}", text(&out));
    let inputs = std::fs::read(dir.join("inputs.json")).unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), inputs)
}

fn workload_files(cache: &std::path::Path) -> usize {
    std::fs::read_dir(cache)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("workload-"))
        .count()
}

#[test]
fn the_second_run_reads_the_cache_and_sends_the_same_bytes() {
    let server = MockServer::start(MockConfig::default()).expect("mock server starts");
    let cache = tempfile::tempdir().unwrap();
    let (first, first_inputs) = run(&server, "cache-first", cache.path(), &[]);
    assert!(!first.contains("workload from cache"), "{first}");
    assert_eq!(workload_files(cache.path()), 1);

    let (second, second_inputs) = run(&server, "cache-second", cache.path(), &[]);
    assert!(second.contains("Harness: workload from cache"), "{second}");
    assert_eq!(
        first_inputs, second_inputs,
        "cached and built workloads differ"
    );

    // Turned off, the run builds it again (and still sends the same bytes).
    let (off, off_inputs) = run(
        &server,
        "cache-off",
        cache.path(),
        &[("GAUNTLET_NO_WORKLOAD_CACHE", "1")],
    );
    assert!(!off.contains("workload from cache"), "{off}");
    assert_eq!(off_inputs, first_inputs);
}

#[test]
fn a_corrupt_cache_file_is_rebuilt_not_trusted() {
    let server = MockServer::start(MockConfig::default()).expect("mock server starts");
    let cache = tempfile::tempdir().unwrap();
    let (_, first_inputs) = run(&server, "cache-corrupt-first", cache.path(), &[]);
    let file = std::fs::read_dir(cache.path())
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("workload-"))
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(&file, &bytes).unwrap();
    let (second, second_inputs) = run(&server, "cache-corrupt-second", cache.path(), &[]);
    assert!(!second.contains("workload from cache"), "{second}");
    assert_eq!(second_inputs, first_inputs);
}
