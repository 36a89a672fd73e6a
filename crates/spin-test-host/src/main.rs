//! `spin-test-host up …`: see `spin_test_host::cli`.

fn main() -> std::process::ExitCode {
    spin_test_host::cli::main()
}
