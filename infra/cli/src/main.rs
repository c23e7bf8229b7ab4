//! `creatoros`: the operator CLI (see `creatoros --help`). Errors print as one line with their cause, and the
//! exit status is non-zero.

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = creatoros_cli::run().await {
        eprintln!(
            "creatoros: {}",
            creatoros_runtime::errors::chain(e.as_ref())
        );
        std::process::exit(1);
    }
}
