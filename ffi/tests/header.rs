//! The committed header is the one cbindgen makes from the source today.

use std::path::Path;

#[test]
fn committed_header_is_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen generates the header");
    let mut made = Vec::new();
    bindings.write(&mut made);
    let path = dir.join("include/gauntlet.h");
    if std::env::var_os("GAUNTLET_BLESS").is_some() {
        std::fs::write(&path, &made).expect("write the header");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == made,
        "{} is stale: regenerate it with GAUNTLET_BLESS=1 cargo test -p gauntlet-ffi --test header",
        path.display()
    );
}
