use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    gauntlet::clock::mark_process_start();
    // `kube` sits downstream of `cli` in the layer order, so it is handed in here.
    gauntlet::cli::main(vec![gauntlet::kube::extension()])
}
