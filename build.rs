// Rebuild when the shipped assets change, since they are embedded by path at run time and
// hashed into the corpus cache key.
fn main() {
    println!("cargo:rerun-if-changed=assets");
    println!(
        "cargo:rustc-env=GAUNTLET_ASSETS_DIR={}/assets",
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into())
    );
}
