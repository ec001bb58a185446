//! The tim-emulator binary: parse the command line, set up logging, load the state file, bind,
//! serve until a signal, save the state file.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use futures_util::FutureExt as _;
use tim_emulator::config::{Command, Config, LogFormat};
use tim_emulator::tls::TlsAcceptor;
use tim_emulator::{Shared, persist};
use tokio::net::TcpListener;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Logs go to stderr through a background writer thread, so a request never waits on the
/// terminal or a pipe (lines are dropped, not queued without bound, if the reader stalls).
///
/// The filter is `RUST_LOG` when it parses, else `--log-level` (checked at start), as
/// `target=level` lists (`tracing_subscriber::filter::Targets`: no regexes to build, issue 14
/// item 8; EnvFilter's span and field filters are not supported).
fn init_tracing(config: &Config) -> tracing_appender::non_blocking::WorkerGuard {
    let filter: Targets = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .or_else(|| config.log_level.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    // A few thousand lines of backlog is plenty; the default (128,000) preallocates megabytes.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(4096)
        .lossy(true)
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_max_level(tracing::level_filters::LevelFilter::TRACE)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(writer);
    match config.log_format {
        LogFormat::Json => builder.json().finish().with(filter).init(),
        LogFormat::Text => builder.finish().with(filter).init(),
    }
    guard
}

fn usersig(config: &Config, args: &tim_emulator::config::UsersigArgs) -> ExitCode {
    let apps = match &config.config {
        Some(_) => match config.settings() {
            Ok(s) => Some(s.apps),
            Err(e) => {
                eprintln!("tim-emulator: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    match args.mint(apps.as_ref(), tim_emulator::store::throttle::unix_now()) {
        Ok(sig) => {
            println!("{sig}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tim-emulator usersig: {e}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let config = Config::parse();
    match &config.command {
        Some(Command::Usersig(args)) => return usersig(&config, args),
        Some(Command::Healthcheck) => {
            return match tim_emulator::healthcheck::check(config.listen) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("tim-emulator healthcheck: {e}");
                    ExitCode::from(1)
                }
            };
        }
        Some(Command::Serve) | None => {}
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts");
    let code = runtime.block_on(run(config));
    // Tasks left in the runtime may still hold the state: the OS takes it back with the process
    // (see the end of `run`).
    std::mem::forget(runtime);
    code
}

async fn run(config: Config) -> ExitCode {
    let _log_guard = init_tracing(&config);
    raise_open_file_limit();
    let settings = match config.settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tim-emulator: {e}");
            return ExitCode::from(2);
        }
    };
    let state = tim_emulator::Emulator::new(settings);
    if let Some(path) = &config.state_file
        && let Err(e) = persist::prepare(path)
    {
        eprintln!("tim-emulator: {e}");
        return ExitCode::from(2);
    }
    if let Err(e) = load_state(&config, &state) {
        eprintln!("tim-emulator: {e}; not starting, so the file is left as it is");
        return ExitCode::from(2);
    }
    let tls = match tls_acceptor(&config) {
        Ok(tls) => tls,
        Err(e) => {
            eprintln!("tim-emulator: {e}; not starting");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(config.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("tim-emulator: cannot listen on {}: {e}", config.listen);
            return ExitCode::from(1);
        }
    };
    let https = match bind_https(&config, tls).await {
        Ok(https) => https,
        Err(code) => return code,
    };
    let https_bound = https.as_ref().and_then(|(l, _)| l.local_addr().ok());
    if let Err(e) = announce(&config, &state, &listener, https_bound) {
        eprintln!("tim-emulator: {e}");
        return ExitCode::from(2);
    }
    let saver = spawn_saver(&config, &state);
    let served = serve_until_stopped(listener, https, &state, config.shutdown_grace_ms).await;
    if let Some(task) = saver {
        task.abort();
    }
    if let Some(path) = &config.ready_file {
        // A harness that polls for the file must not find the record of a stopped emulator.
        let _ = std::fs::remove_file(path);
    }
    let saved = save_state(&config, &state).await;
    // Not freed piece by piece: the process ends now and the OS takes the memory back at once,
    // whereas freeing a large state allocation by allocation took longer than saving it
    // (about 10 s for 100k groups of 10 members on a busy 2-core box).
    std::mem::forget(state);
    if let Err(e) = served {
        eprintln!("tim-emulator: server error: {e}");
        return ExitCode::from(1);
    }
    tracing::info!("tim-emulator stopped");
    if saved {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Logs the start line and publishes the ready record (stdout line, `--ready-file`); an error
/// when the ready file cannot be written, since a harness waiting for it would wait for ever.
fn announce(
    config: &Config,
    state: &Shared,
    listener: &TcpListener,
    https: Option<std::net::SocketAddr>,
) -> Result<(), String> {
    let bound = listener
        .local_addr()
        .map_err(|e| format!("the bound address is unknown: {e}"))?;
    let mut ready = tim_emulator::ready::Ready::new(bound);
    if let Some(addr) = https {
        ready = ready.with("https", tim_emulator::ready::base_url("https", addr));
    }
    tim_emulator::ready::log_start(config, state, &ready);
    if let Some(path) = &config.ready_file {
        ready.write_file(path)?;
    }
    ready.print_line();
    Ok(())
}

/// Raises the soft limit of open files to the hard limit (issue 11 A): with the common soft
/// limit of 1024, a thousand half-open connections would lock every other client out.
fn raise_open_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open-file limit"),
        Err(e) => tracing::warn!(error = %e, "the open-file limit could not be raised"),
    }
}

/// Serves until SIGTERM/SIGINT, then stops accepting and gives the requests in flight
/// `grace_ms` to finish. When the grace is over, or a second signal comes, the connections still
/// open are dropped, so a client stuck mid-request can never keep the state from being saved
/// (issue 11 A).
async fn serve_until_stopped(
    listener: TcpListener,
    https: Option<(TcpListener, TlsAcceptor)>,
    state: &Shared,
    grace_ms: u64,
) -> std::io::Result<()> {
    let (signalled, stopping) = tokio::sync::oneshot::channel::<()>();
    let first_signal = async move {
        tim_emulator::shutdown_signal().await;
        let _ = signalled.send(());
    }
    .shared();
    let plain = tim_emulator::serve(listener, state.clone(), first_signal.clone());
    let serve = async move {
        match https {
            None => plain.await,
            Some((tls_listener, acceptor)) => {
                let tls =
                    tim_emulator::serve_tls(tls_listener, acceptor, state.clone(), first_signal);
                let (plain, tls) = tokio::join!(plain, tls);
                plain.and(tls)
            }
        }
    };
    let cut_off = async move {
        if stopping.await.is_err() {
            return std::future::pending().await;
        }
        tracing::info!(
            grace_ms,
            "stopping: no new connections; waiting for requests in flight"
        );
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(grace_ms)) => {
                tracing::warn!(grace_ms, "the grace period is over: closing the connections still open");
            }
            () = tim_emulator::shutdown_signal() => {
                tracing::warn!("a second signal: closing the connections still open");
            }
        }
    };
    tokio::select! {
        served = serve => served,
        () = cut_off => Ok(()),
    }
}

/// The HTTPS acceptor `--https-listen` asks for (issue 14): the given certificate and key, or a
/// generated one whose CA goes to `--tls-ca-out`. `Err` names the flag or file at fault.
fn tls_acceptor(config: &Config) -> Result<Option<TlsAcceptor>, String> {
    let Some(source) = config.tls_source() else {
        return Ok(None);
    };
    let identity = tim_emulator::tls::identity(&source)?;
    if let tim_emulator::tls::CertSource::Generated { ca_out, .. } = &source {
        match ca_out {
            Some(path) => {
                tracing::info!(ca = %path.display(), "HTTPS certificate generated; its CA certificate is written")
            }
            None => tracing::warn!(
                "HTTPS certificate generated but --tls-ca-out is not set: clients cannot verify it"
            ),
        }
    }
    tim_emulator::tls::acceptor(identity).map(Some)
}

/// Binds `--https-listen` when `tls` is set; `Err` is the exit code after saying why.
async fn bind_https(
    config: &Config,
    tls: Option<TlsAcceptor>,
) -> Result<Option<(TcpListener, TlsAcceptor)>, ExitCode> {
    let (Some(addr), Some(acceptor)) = (config.https_listen, tls) else {
        return Ok(None);
    };
    match TcpListener::bind(addr).await {
        Ok(l) => {
            let bound = l.local_addr().map(|a| a.to_string()).unwrap_or_default();
            tracing::info!(https_listen = %bound, "HTTPS ready");
            Ok(Some((l, acceptor)))
        }
        Err(e) => {
            eprintln!("tim-emulator: cannot listen for HTTPS on {addr}: {e}");
            Err(ExitCode::from(1))
        }
    }
}

/// The state file when it exists, else the seed (see [`tim_emulator::seed`]).
fn load_state(config: &Config, state: &Shared) -> Result<(), String> {
    let from = state.load_start_state(config.state_file.as_deref())?;
    tracing::info!(
        state_file = ?config.state_file,
        seed_file = ?config.seed_file,
        from = from.as_str(),
        "start state"
    );
    Ok(())
}

fn spawn_saver(config: &Config, state: &Shared) -> Option<tokio::task::JoinHandle<()>> {
    let path = config.state_file.clone()?;
    if config.save_interval == 0 {
        return None;
    }
    let every = Duration::from_secs(config.save_interval);
    Some(persist::spawn_periodic(path, state.clone(), every))
}

/// Saves the state file, if one is configured, on a blocking thread; `false` when the save
/// failed.
async fn save_state(config: &Config, state: &Shared) -> bool {
    let Some(path) = &config.state_file else {
        return true;
    };
    let (p, s) = (path.clone(), state.clone());
    let saved = tokio::task::spawn_blocking(move || persist::save(&p, &s))
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    match saved {
        Ok(saved) => {
            let ms = saved.took.as_millis() as u64;
            tracing::info!(path = %path.display(), bytes = saved.bytes, ms, "state saved");
            true
        }
        Err(e) => {
            tracing::error!(path = %path.display(), error = %e, "state save failed");
            eprintln!(
                "tim-emulator: cannot save state file {}: {e}",
                path.display()
            );
            false
        }
    }
}
