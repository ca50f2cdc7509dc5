use clap::Parser;

fn main() {
    faultline::panic_guard::install_hook();
    faultline::signals::install();
    let cli = faultline::cli::Cli::parse_from(faultline::cli::normalise_args(
        std::env::args_os().collect(),
    ));
    if let Err(error) = faultline::cli::run(cli) {
        match &error {
            faultline::error::Error::Gate(_) => faultline::text::message(&error.to_string()),
            _ => faultline::text::message(&format!("error: {error}")),
        }
        std::process::exit(error.exit_code());
    }
}
