use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    gauntlet::clock::mark_process_start();
    gauntlet::cli::main()
}
