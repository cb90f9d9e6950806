//! `vestibule-server`: wires the command line to the library.

fn main() -> anyhow::Result<()> {
    server::cli::main()
}
