//! The tim-emulator binary: parse the command line, set up logging, bind, serve until a signal.

use clap::Parser;
use tim_emulator::config::{Command, Config, LogFormat};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

fn init_tracing(config: &Config) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.log_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn usersig(config: &Config, args: &tim_emulator::config::UsersigArgs) -> std::process::ExitCode {
    let apps = match &config.config {
        Some(_) => match config.settings() {
            Ok(s) => Some(s.apps),
            Err(e) => {
                eprintln!("tim-emulator: {e}");
                return std::process::ExitCode::from(2);
            }
        },
        None => None,
    };
    match args.mint(apps.as_ref(), tim_emulator::store::throttle::unix_now()) {
        Ok(sig) => {
            println!("{sig}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tim-emulator usersig: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = Config::parse();
    if let Some(Command::Usersig(args)) = &config.command {
        return usersig(&config, args);
    }
    init_tracing(&config);
    let settings = match config.settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tim-emulator: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(config.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("tim-emulator: cannot listen on {}: {e}", config.listen);
            return std::process::ExitCode::from(1);
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!(listen = %addr, "tim-emulator ready");
    let state = tim_emulator::Emulator::new(settings);
    if let Err(e) = tim_emulator::serve(listener, state, tim_emulator::shutdown_signal()).await {
        eprintln!("tim-emulator: server error: {e}");
        return std::process::ExitCode::from(1);
    }
    tracing::info!("tim-emulator stopped");
    std::process::ExitCode::SUCCESS
}
