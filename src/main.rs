//! The `kpi-close` binary: a thin shell over the library's `cli` module.

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let args = kpi_close::cli::Args::parse();
    let code = kpi_close::cli::main_inner(args);
    std::process::ExitCode::from(code as u8)
}
