fn main() -> std::process::ExitCode {
    sipas::cli::main()
}
