//! The layer order of docs/architecture.md, held: every `crate::X` path in shipped code (test
//! modules and test-only files excluded) must name a module upstream of the file's own module,
//! and no module's files may import each other in a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The data flow, upstream first. A module may import only modules before it in this list.
const ORDER: &[&str] = &[
    // leaf
    "rng",
    "dist",
    "clock",
    "json_scan",
    "atomic_file",
    "quiet_panic",
    "printable",
    // contract
    "config",
    // inputs
    "tokenizer",
    "media",
    "video",
    "media_helper",
    // workload, bytes, time, wire
    "dataset",
    "payload",
    "schedule",
    "engine",
    // numbers
    "metrics",
    "telemetry",
    // output
    "report",
    // orchestration
    "run",
    "cli",
    "kube",
];

/// Beside the flow: the mock server reads only these, and only `run` and `cli` may start it.
const MOCK: &str = "mock";
const MOCK_READS: &[&str] = &["rng", "dist", "clock", "json_scan", "atomic_file"];
const MOCK_READERS: &[&str] = &["run", "cli"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Text with comments, string and char literals blanked out, so only code is read.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        out.push(if b[i] == b'\n' { b'\n' } else { b' ' });
                        i += 1;
                    }
                }
            }
            b'r' if matches!(b.get(i + 1), Some(b'#') | Some(b'"'))
                && (i == 0 || !is_ident(b[i - 1])) =>
            {
                // Raw string: r#*" … "#*
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&b'"') {
                    out.push(b[i]);
                    i += 1;
                    continue;
                }
                j += 1;
                loop {
                    if j >= b.len() {
                        break;
                    }
                    if b[j] == b'"' && (0..hashes).all(|h| b.get(j + 1 + h) == Some(&b'#')) {
                        j += 1 + hashes;
                        break;
                    }
                    if b[j] == b'\n' {
                        out.push(b'\n');
                    }
                    j += 1;
                }
                out.extend_from_slice(b"\"\"");
                i = j;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    if i < b.len() && b[i] == b'\n' {
                        out.push(b'\n');
                    }
                    i += 1;
                }
                i += 1;
                out.extend_from_slice(b"\"\"");
            }
            b'\'' => {
                // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
                let close = if b.get(i + 1) == Some(&b'\\') {
                    b[i + 2..]
                        .iter()
                        .position(|&c| c == b'\'')
                        .map(|p| i + 2 + p)
                } else if b.get(i + 2) == Some(&b'\'') {
                    Some(i + 2)
                } else {
                    None
                };
                match close {
                    Some(end) => {
                        out.extend_from_slice(b"' '");
                        i = end + 1;
                    }
                    None => {
                        out.push(b'\'');
                        i += 1;
                    }
                }
            }
            c => {
                // Non-ASCII outside strings and comments is never part of a path: blanking it
                // keeps every byte offset a char boundary.
                out.push(if c.is_ascii() { c } else { b' ' });
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("ASCII only")
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Removes every item marked `#[cfg(test)]` (a `mod x;`, a `use`, a block), and notes the files
/// of test-only `mod` declarations so they are skipped too.
fn without_test_items(code: &str, test_files: &mut Vec<String>) -> String {
    let b = code.as_bytes();
    let mut out = String::with_capacity(code.len());
    let mut i = 0;
    let marker = "#[cfg(test)]";
    while let Some(p) = code[i..].find(marker) {
        let start = i + p;
        out.push_str(&code[i..start]);
        let mut j = start + marker.len();
        let mut path_attr = None;
        // Further attributes on the same item.
        loop {
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if code[j..].starts_with("#[") {
                let end = j + code[j..].find(']').expect("attribute closes");
                let attr = &code[j..=end];
                if attr.starts_with("#[path") {
                    path_attr = Some(attr.to_string());
                }
                j = end + 1;
            } else {
                break;
            }
        }
        // The item: up to `;` at depth 0 or a balanced `{ … }`.
        let item_start = j;
        let mut depth = 0usize;
        while j < b.len() {
            match b[j] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        j += 1;
                        break;
                    }
                }
                b';' if depth == 0 => {
                    j += 1;
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        let item = code[item_start..j].trim();
        if let Some(rest) = item
            .strip_prefix("pub(crate) mod ")
            .or_else(|| item.strip_prefix("pub mod "))
            .or_else(|| item.strip_prefix("mod "))
        {
            if let Some(name) = rest.strip_suffix(';') {
                test_files.push(match path_attr {
                    // The path attribute's string was blanked: fall back on the conventional
                    // names, which the file walk also skips.
                    Some(_) => format!("{}_tests", name.trim()),
                    None => name.trim().to_string(),
                });
            }
        }
        i = j;
    }
    out.push_str(&code[i..]);
    out
}

/// The top-level modules a file's code names through `crate::…` (and `super::` chains that
/// climb to the crate root).
fn imported_modules(code: &str, depth: usize) -> BTreeSet<String> {
    heads_after(code, "crate::", depth)
}

/// The first path segment after every `prefix` (e.g. `crate::` or `crate::engine::`), and after
/// every chain of exactly `supers` `super::` (or more, when `supers` reaches the crate root).
fn heads_after(code: &str, prefix: &str, supers: usize) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let b = code.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let at_word = i == 0 || !(is_ident(b[i - 1]) || b[i - 1] == b':' || b[i - 1] == b'$');
        if at_word && code[i..].starts_with(prefix) {
            i += prefix.len();
            read_path_heads(code, &mut i, &mut found);
            continue;
        }
        if at_word && code[i..].starts_with("super::") {
            let mut count = 0;
            let mut j = i;
            while code[j..].starts_with("super::") {
                count += 1;
                j += "super::".len();
            }
            let reaches_root = prefix == "crate::" && count >= supers;
            if count == supers || reaches_root {
                let mut k = j;
                read_path_heads(code, &mut k, &mut found);
            }
            i = j;
            continue;
        }
        i += 1;
    }
    found
}

/// Reads the first segment after `crate::`: an identifier, or each item's head of a `{ … }`
/// group.
fn read_path_heads(code: &str, i: &mut usize, found: &mut BTreeSet<String>) {
    let b = code.as_bytes();
    while *i < b.len() && b[*i].is_ascii_whitespace() {
        *i += 1;
    }
    if b.get(*i) == Some(&b'{') {
        *i += 1;
        let mut depth = 1;
        let mut expect_head = true;
        while *i < b.len() && depth > 0 {
            let c = b[*i];
            if c == b'{' {
                depth += 1;
            } else if c == b'}' {
                depth -= 1;
            } else if c == b',' && depth == 1 {
                expect_head = true;
            } else if expect_head && depth == 1 && is_ident(c) {
                let start = *i;
                while *i < b.len() && is_ident(b[*i]) {
                    *i += 1;
                }
                found.insert(code[start..*i].to_string());
                expect_head = false;
                continue;
            }
            *i += 1;
        }
    } else {
        let start = *i;
        while *i < b.len() && is_ident(b[*i]) {
            *i += 1;
        }
        if *i > start {
            found.insert(code[start..*i].to_string());
        }
    }
}

fn is_test_file(rel: &Path) -> bool {
    let name = rel.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    name == "tests"
        || name.ends_with("_tests")
        || name.starts_with("test_support")
        || rel.components().any(|c| c.as_os_str() == "test_support")
}

struct SourceFile {
    rel: PathBuf,
    code: String,
}

fn shipped_files() -> Vec<SourceFile> {
    let root = src();
    let mut stack = vec![root.clone()];
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(&root).expect("under src/").to_path_buf();
                files.push((rel, std::fs::read_to_string(&path).expect("utf-8 source")));
            }
        }
    }
    let mut test_only: Vec<(PathBuf, String)> = Vec::new();
    let mut out = Vec::new();
    for (rel, text) in files {
        let mut test_mods = Vec::new();
        let code = without_test_items(&code_only(&text), &mut test_mods);
        let dir = module_dir(&rel);
        for m in test_mods {
            test_only.push((dir.clone(), m));
        }
        out.push(SourceFile { rel, code });
    }
    out.retain(|f| {
        let stem = f.rel.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let parent = f.rel.parent().map(Path::to_path_buf).unwrap_or_default();
        let declared_test_only = test_only
            .iter()
            .any(|(dir, m)| (parent == *dir && stem == m) || f.rel.starts_with(dir.join(m)));
        !is_test_file(&f.rel) && !declared_test_only
    });
    out
}

/// The folder a file's child modules live in (`a/mod.rs` → `a`, `a/b.rs` → `a/b`).
fn module_dir(rel: &Path) -> PathBuf {
    let parent = rel.parent().map(Path::to_path_buf).unwrap_or_default();
    match rel.file_stem().and_then(|s| s.to_str()) {
        Some("mod") | Some("lib") | Some("main") => parent,
        Some(stem) => parent.join(stem),
        None => parent,
    }
}

/// The top-level module a file belongs to; `None` for the crate root and the binaries.
fn top_module(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main" | "bin")).then(|| name.to_string())
}

/// How many `super::` reach the crate root from a file.
fn depth(rel: &Path) -> usize {
    let parts = rel.components().count();
    match rel.file_stem().and_then(|s| s.to_str()) {
        Some("mod") => parts - 1,
        _ => parts,
    }
}

fn allowed(from: &str, to: &str) -> bool {
    if from == to {
        return true;
    }
    if from == MOCK {
        return MOCK_READS.contains(&to);
    }
    if to == MOCK {
        return MOCK_READERS.contains(&from);
    }
    let rank = |m: &str| ORDER.iter().position(|x| *x == m);
    match (rank(from), rank(to)) {
        (Some(a), Some(b)) => b < a,
        _ => false,
    }
}

#[test]
fn every_top_level_module_is_in_the_order() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("lib.rs");
    let declared: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .filter_map(|l| l.strip_suffix(';'))
        .collect();
    for m in &declared {
        assert!(
            ORDER.contains(m) || *m == MOCK,
            "src/lib.rs declares `{m}`, which has no place in the layer order: add it to \
             tests/layers.rs and docs/architecture.md"
        );
    }
}

#[test]
fn imports_follow_the_layer_order() {
    let mut wrong: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for file in shipped_files() {
        let Some(from) = top_module(&file.rel) else {
            continue;
        };
        for to in imported_modules(&file.code, depth(&file.rel)) {
            let is_module = ORDER.contains(&to.as_str()) || to == MOCK;
            if is_module && !allowed(&from, &to) {
                wrong
                    .entry((from.clone(), to))
                    .or_default()
                    .push(file.rel.display().to_string());
            }
        }
    }
    let report: Vec<String> = wrong
        .iter()
        .map(|((a, b), files)| format!("{a} -> {b} ({})", files.join(", ")))
        .collect();
    assert!(
        report.is_empty(),
        "imports against the layer order (docs/architecture.md):\n  {}",
        report.join("\n  ")
    );
}

/// The direct child of its top-level module a file belongs to (`engine/worker.rs` → `worker`,
/// `dataset/files/csv.rs` → `files`); `None` for a module's own `mod.rs` and top-level files.
fn child_module(rel: &Path) -> Option<String> {
    let mut parts = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    parts.next()?;
    let child = parts.next()?;
    let name = child.strip_suffix(".rs").unwrap_or(&child).to_string();
    (name != "mod").then_some(name)
}

/// Every circle among the children of each top-level module (`a.rs` uses `b`, `b.rs` uses
/// `a`), as the list of children on it.
fn circles_inside_modules(files: &[SourceFile]) -> Vec<String> {
    let mut children: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        if let (Some(top), Some(child)) = (top_module(&f.rel), child_module(&f.rel)) {
            children.entry(top).or_default().insert(child);
        }
    }
    let mut uses: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let (Some(top), Some(child)) = (top_module(&f.rel), child_module(&f.rel)) else {
            continue;
        };
        // `super::` chains that climb from this file to its top-level module.
        let supers = depth(&f.rel) - 1;
        let prefix = format!("crate::{top}::");
        let siblings = &children[&top];
        let named = heads_after(&f.code, &prefix, supers);
        let edges = uses.entry((top.clone(), child.clone())).or_default();
        edges.extend(
            named
                .into_iter()
                .filter(|n| *n != child && siblings.contains(n)),
        );
    }
    let mut circles = Vec::new();
    for (top, kids) in &children {
        let mut seen: BTreeSet<Vec<String>> = BTreeSet::new();
        for start in kids {
            // Depth-first search for a path back to `start`.
            let mut stack = vec![(start.clone(), vec![start.clone()])];
            while let Some((at, path)) = stack.pop() {
                let next = uses.get(&(top.clone(), at)).cloned().unwrap_or_default();
                for n in next {
                    if n == *start {
                        let mut key = path.clone();
                        key.sort();
                        if seen.insert(key) {
                            circles.push(format!("{top}: {} -> {start}", path.join(" -> ")));
                        }
                    } else if !path.contains(&n) && path.len() < kids.len() {
                        let mut longer = path.clone();
                        longer.push(n.clone());
                        stack.push((n, longer));
                    }
                }
            }
        }
    }
    circles
}

#[test]
fn no_module_has_a_circle_inside() {
    let circles = circles_inside_modules(&shipped_files());
    assert!(
        circles.is_empty(),
        "files inside a module import each other in a circle (move the shared item down into \
         a small module both import):\n  {}",
        circles.join("\n  ")
    );
}

#[test]
fn the_scanner_reads_groups_supers_and_skips_tests() {
    let code = code_only(
        "use crate::{a::X, b, c::{d, e}};\n// crate::commented\nlet s = \"crate::quoted\";\n\
         use super::super::f::G;\n#[cfg(test)]\nmod tests { use crate::hidden; }\n\
         #[cfg(test)]\nmod more_tests;\nfn k() { crate::g::h(); }",
    );
    let mut test_mods = Vec::new();
    let code = without_test_items(&code, &mut test_mods);
    let found = imported_modules(&code, 2);
    let names: Vec<&str> = found.iter().map(String::as_str).collect();
    assert_eq!(names, ["a", "b", "c", "f", "g"]);
    assert_eq!(test_mods, ["more_tests"]);
    assert!(!allowed("config", "dataset"));
    assert!(allowed("dataset", "config"));
    assert!(allowed("run", "mock"));
    assert!(!allowed("engine", "mock"));
    assert!(!allowed("mock", "config"));
}
