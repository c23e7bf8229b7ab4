//! Cold-start init time of Lambda `bootstrap` binaries, measured against a local Runtime API emulator.
//!
//! Lambda starts a `provided.al2023` function by executing `bootstrap` with the Runtime API address and the
//! function's environment, and reports as *Init Duration* the time until the runtime first asks for work
//! (`GET /2018-06-01/runtime/invocation/next`). This binary does the same on this machine, for each binary given:
//!
//! 1. starts a minimal Runtime API emulator on `127.0.0.1:<free port>` that records the instant of the first
//!    `/invocation/next` request and then holds it open (no invocation is ever delivered), accepts
//!    `POST /2018-06-01/runtime/init/error` (the run then fails with the error's body) and answers 404 to anything
//!    else (reported, as the runtime should not ask for it);
//! 2. spawns the binary with a cleared environment holding what Lambda sets (`AWS_LAMBDA_RUNTIME_API`,
//!    `AWS_LAMBDA_FUNCTION_*`, `AWS_LAMBDA_LOG_*`, `AWS_REGION`, dummy credentials, `PATH`, `LANG`, `TZ`, ...) plus
//!    the SAM template's variables with dummy values (table, bucket, queue URLs, key casing, `RUST_LOG=info`),
//!    working directory = the binary's directory, as `/var/task` is on Lambda;
//! 3. init time = just before `spawn` to the first `/next` request; the child is then killed.
//!
//! Each binary runs `--runs` times (default 20); the output is its size and min / median / max of the init
//! times, plus the first run on its own (the only one that may read the binary from disk rather than the page
//! cache). Nothing here talks to AWS: the credentials are dummies and the runtime reaches nothing but the emulator
//! before its first `/next`; a binary that failed to reach `/next` (exit, init error, timeout) fails the bench.
//!
//! What this does not capture: Lambda's own sandbox start and code download (before `bootstrap` runs), its CPU
//! share by memory size (here the process gets the whole machine), and arm64 binaries on an x86-64 host (they do
//! not run here without an emulator such as `qemu-aarch64`).
//!
//! ```sh
//! cargo lambda build --release            # target/lambda/<function>/bootstrap (x86-64)
//! cargo run --release -p creatoros-benches --features stack --bin bench_init -- \
//!     target/lambda/creatoros-ingest/bootstrap target/lambda/creatoros-insights-worker/bootstrap --runs 20
//! ```
//!
//! Any executable works, e.g. the plain `cargo build --release` binaries `target/release/creatoros-ingest`
//! and `target/release/creatoros-insights-worker`. To see what a binary touches during init (it should connect
//! to nothing but the emulator), run one start under `strace -f -e trace=connect,openat bench_init <bin> --runs 1`.

use std::convert::Infallible;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use creatoros_runtime::config;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::process::Command;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

const NEXT: &str = "/2018-06-01/runtime/invocation/next";
const INIT_ERROR: &str = "/2018-06-01/runtime/init/error";
/// How long one start may take before it counts as hung.
const RUN_TIMEOUT: Duration = Duration::from_secs(30);

/// What the emulator saw.
#[derive(Debug)]
enum Event {
    /// The first (or a later) `GET /invocation/next`, at this instant.
    Next(Instant),
    /// `POST /init/error` with this body.
    InitError(String),
    /// Any other request (method and path).
    Other(String),
}

/// One start: its init time and the unexpected requests made before `/next`.
#[derive(Debug)]
struct Start {
    init: Duration,
    other_requests: Vec<String>,
}

fn usage() -> ExitCode {
    eprintln!("usage: bench_init <bootstrap-path>... [--runs N]");
    ExitCode::from(2)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut binaries = Vec::new();
    let mut runs = 20usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--runs" {
            match args.next().and_then(|n| n.parse().ok()) {
                Some(n) if n > 0 => runs = n,
                _ => return usage(),
            }
        } else if let Some(n) = arg.strip_prefix("--runs=") {
            match n.parse() {
                Ok(n) if n > 0 => runs = n,
                _ => return usage(),
            }
        } else if arg.starts_with("--") {
            return usage();
        } else {
            binaries.push(PathBuf::from(arg));
        }
    }
    if binaries.is_empty() {
        return usage();
    }

    println!(
        "{:>11} {:>7} {:>5} {:>9} {:>9} {:>9} {:>9}  binary",
        "bytes", "MB", "runs", "first ms", "min ms", "median ms", "max ms"
    );
    let mut failed = false;
    for binary in &binaries {
        match bench(binary, runs).await {
            Ok(line) => println!("{line}"),
            Err(error) => {
                eprintln!("{}: {error}", binary.display());
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Starts `binary` `runs` times; one result line.
async fn bench(binary: &Path, runs: usize) -> Result<String, String> {
    let binary = std::fs::canonicalize(binary).map_err(|e| format!("cannot resolve: {e}"))?;
    let size = std::fs::metadata(&binary)
        .map_err(|e| format!("cannot stat: {e}"))?
        .len();
    let mut times = Vec::with_capacity(runs);
    for run in 0..runs {
        let start = start_once(&binary)
            .await
            .map_err(|e| format!("run {}: {e}", run + 1))?;
        if !start.other_requests.is_empty() {
            eprintln!(
                "{}: run {}: unexpected Runtime API requests before /next: {:?}",
                binary.display(),
                run + 1,
                start.other_requests
            );
        }
        times.push(start.init);
    }
    let first = times[0];
    times.sort();
    let median = if runs % 2 == 1 {
        times[runs / 2]
    } else {
        (times[runs / 2 - 1] + times[runs / 2]) / 2
    };
    Ok(format!(
        "{:>11} {:>7.2} {:>5} {:>9.2} {:>9.2} {:>9.2} {:>9.2}  {}",
        size,
        size as f64 / 1e6,
        runs,
        ms(first),
        ms(times[0]),
        ms(median),
        ms(times[runs - 1]),
        binary.display(),
    ))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The function name Lambda would report: the folder of a `bootstrap` (cargo-lambda's layout), else the file name.
fn function_name(binary: &Path) -> String {
    let file = binary.file_name().and_then(|f| f.to_str()).unwrap_or("fn");
    if file == "bootstrap" {
        if let Some(dir) = binary
            .parent()
            .and_then(|d| d.file_name())
            .and_then(|d| d.to_str())
        {
            return dir.to_owned();
        }
    }
    file.to_owned()
}

/// The environment Lambda gives a `provided.al2023` function, plus the template's variables (dummy values).
fn lambda_env(binary: &Path, port: u16) -> Vec<(&'static str, String)> {
    let name = function_name(binary);
    let task_root = binary
        .parent()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|| ".".to_owned());
    let queue = |q: &str| format!("https://sqs.us-east-1.amazonaws.com/123456789012/bench-{q}");
    vec![
        ("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}")),
        ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/01/01/[$LATEST]00000000000000000000000000000000".to_owned(),
        ),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_DEFAULT_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "ASIABENCHINITBENCHINI".to_owned()),
        (
            "AWS_SECRET_ACCESS_KEY",
            "bench-init-dummy-secret".to_owned(),
        ),
        ("AWS_SESSION_TOKEN", "bench-init-dummy-token".to_owned()),
        ("_HANDLER", "bootstrap".to_owned()),
        ("LAMBDA_TASK_ROOT", task_root),
        ("LAMBDA_RUNTIME_DIR", "/var/runtime".to_owned()),
        ("LANG", "en_US.UTF-8".to_owned()),
        ("TZ", ":UTC".to_owned()),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin".to_owned()),
        (
            "LD_LIBRARY_PATH",
            "/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"
                .to_owned(),
        ),
        (config::ENV_TABLE, "bench-table".to_owned()),
        (config::ENV_BUCKET, "bench-bucket".to_owned()),
        (config::ENV_INGEST_QUEUE_URL, queue("ingest")),
        (config::ENV_INGEST_DLQ_URL, queue("ingest-dlq")),
        (config::ENV_INSIGHTS_QUEUE_URL, queue("insights")),
        (config::ENV_INSIGHTS_DLQ_URL, queue("insights-dlq")),
        (config::ENV_KEY_CASING, "none".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ]
}

/// One cold start: emulator up, binary spawned, time to its first `/next`, binary killed.
async fn start_once(binary: &Path) -> Result<Start, String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("bind emulator: {e}"))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("emulator address: {e}"))?
        .port();
    let (events, mut seen) = mpsc::unbounded_channel();
    let emulator = tokio::spawn(emulate(listener, events));

    // Stderr goes to a file: never a full pipe to block a chatty init, and readable afterwards.
    let mut log = tempfile::tempfile().map_err(|e| format!("stderr file: {e}"))?;
    let log_for_child = log.try_clone().map_err(|e| format!("stderr file: {e}"))?;
    let mut command = Command::new(binary);
    command
        .env_clear()
        .envs(lambda_env(binary, port))
        .current_dir(binary.parent().unwrap_or(Path::new(".")))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log_for_child))
        .kill_on_drop(true);
    let spawned_at = Instant::now();
    let mut child = command.spawn().map_err(|e| format!("spawn: {e}"))?;

    let first_next = async {
        let mut other_requests = Vec::new();
        while let Some(event) = seen.recv().await {
            match event {
                Event::Next(at) => {
                    return Ok(Start {
                        init: at.duration_since(spawned_at),
                        other_requests,
                    })
                }
                Event::InitError(body) => return Err(format!("init error reported: {body}")),
                Event::Other(request) => other_requests.push(request),
            }
        }
        Err("emulator stopped".to_owned())
    };
    let outcome = tokio::select! {
        outcome = first_next => outcome,
        status = child.wait() => Err(format!("exited before /next: {status:?}")),
        () = tokio::time::sleep(RUN_TIMEOUT) => Err(format!("no /next within {RUN_TIMEOUT:?}")),
    };

    let _ = child.start_kill();
    let _ = child.wait().await;
    emulator.abort();
    outcome.map_err(|e| {
        let mut stderr = Vec::new();
        let _ = log.rewind().and_then(|()| log.read_to_end(&mut stderr));
        let stderr = String::from_utf8_lossy(&stderr);
        let tail = stderr
            .char_indices()
            .rev()
            .nth(2000)
            .map_or(&*stderr, |(i, _)| &stderr[i..]);
        format!("{e}\n--- stderr (tail) ---\n{tail}")
    })
}

/// The Runtime API emulator: serves every connection until aborted (aborting drops the connections too).
async fn emulate(listener: TcpListener, events: mpsc::UnboundedSender<Event>) {
    let mut connections = JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        let events = events.clone();
        connections.spawn(async move {
            let service = service_fn(move |request| answer(request, events.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(
    request: Request<Incoming>,
    events: mpsc::UnboundedSender<Event>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let at = Instant::now();
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    if method == Method::GET && path == NEXT {
        let _ = events.send(Event::Next(at));
        // No invocation, ever: the runtime waits here until it is killed.
        let never: Infallible = std::future::pending().await;
        match never {}
    }
    let (status, body) = if method == Method::POST && path == INIT_ERROR {
        let body = match request.into_body().collect().await {
            Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
            Err(e) => format!("(unreadable body: {e})"),
        };
        let _ = events.send(Event::InitError(body));
        (StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
    } else {
        let _ = events.send(Event::Other(format!("{method} {path}")));
        (StatusCode::NOT_FOUND, r#"{"errorType":"NotFound"}"#)
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    Ok(response)
}
