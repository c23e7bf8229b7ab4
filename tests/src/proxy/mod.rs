//! A fault-injecting HTTP proxy between the workers and a local server (DynamoDB Local or moto).
//!
//! Real AWS fails in ways the local servers never do. The proxy forwards every request and, by rate, makes it fail
//! the way AWS does: throttling answers, `UnprocessedItems`/`UnprocessedKeys` on batch calls, 500s before or
//! *after* the server applied the request (the client cannot tell whether it landed), connections dropped before
//! or after the server answered, bodies cut off mid-stream, and added latency. Decisions come from one seeded RNG,
//! so a single-threaded sequence of requests meets the same faults on every run; with concurrency the rates (not
//! the exact victims) are what repeat.
//!
//! The SDK clients under test only see the proxy's address, and the server only sees what the proxy forwards, so
//! "nothing lost, nothing doubled" is checked against the server's real state.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderValue, CONTENT_LENGTH, HOST};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};
use tokio::net::{TcpListener, TcpStream};

use crate::meter::Meter;

mod answers;

use answers::*;

/// Shares of requests that meet each fault (each in `0.0..=1.0`; together at most 1).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FaultMix {
    /// Answered with a throttling error, never forwarded (DynamoDB: `ProvisionedThroughputExceededException` or
    /// `ThrottlingException`; S3: 503 `SlowDown`; SQS: 503).
    pub throttle: f64,
    /// DynamoDB batch calls only: part of the request is withheld and reported back as unprocessed.
    pub unprocessed: f64,
    /// Answered 500 without being forwarded.
    pub error_before: f64,
    /// Forwarded and applied, then answered 500: the client retries something that already happened.
    pub error_after: f64,
    /// Connection closed before forwarding.
    pub drop_before: f64,
    /// Forwarded and applied, then the connection is closed without an answer.
    pub drop_after: f64,
    /// S3 responses with a body of at least 64 bytes (downloads) are cut off halfway and the connection closed.
    /// Only S3: a cut DynamoDB answer is not retried by the SDK, and at this rate it would exhaust the stream
    /// mapping's retries and dead-letter a batch, which is the configured behaviour, not a fault of the pipeline.
    pub truncate: f64,
    /// Requests delayed by `latency_ms` (uniform) before forwarding.
    pub latency: f64,
    /// Added latency range in milliseconds.
    pub latency_ms: (u64, u64),
}

impl FaultMix {
    /// No faults: a plain proxy.
    pub fn none() -> Self {
        Self::default()
    }
}

/// The kinds of fault, in the order their shares are laid out on `0..1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Fault {
    /// See [`FaultMix::throttle`].
    Throttle,
    /// See [`FaultMix::unprocessed`].
    Unprocessed,
    /// See [`FaultMix::error_before`].
    ErrorBefore,
    /// See [`FaultMix::error_after`].
    ErrorAfter,
    /// See [`FaultMix::drop_before`].
    DropBefore,
    /// See [`FaultMix::drop_after`].
    DropAfter,
    /// See [`FaultMix::truncate`].
    Truncate,
    /// See [`FaultMix::latency`].
    Latency,
}

const KINDS: usize = 8;

impl Fault {
    const ALL: [Fault; KINDS] = [
        Fault::Throttle,
        Fault::Unprocessed,
        Fault::ErrorBefore,
        Fault::ErrorAfter,
        Fault::DropBefore,
        Fault::DropAfter,
        Fault::Truncate,
        Fault::Latency,
    ];

    fn share(self, mix: &FaultMix) -> f64 {
        match self {
            Fault::Throttle => mix.throttle,
            Fault::Unprocessed => mix.unprocessed,
            Fault::ErrorBefore => mix.error_before,
            Fault::ErrorAfter => mix.error_after,
            Fault::DropBefore => mix.drop_before,
            Fault::DropAfter => mix.drop_after,
            Fault::Truncate => mix.truncate,
            Fault::Latency => mix.latency,
        }
    }
}

/// What the proxy did, by kind: `injected[Fault::X as usize]`.
#[derive(Debug, Default)]
pub struct ProxyStats {
    /// Requests received.
    pub requests: AtomicU64,
    /// Faults injected, by kind.
    pub injected: [AtomicU64; KINDS],
}

impl ProxyStats {
    /// What has happened so far, as plain numbers.
    pub fn tally(&self) -> Tally {
        Tally {
            requests: self.requests.load(Ordering::SeqCst),
            injected: std::array::from_fn(|i| self.injected[i].load(Ordering::SeqCst)),
        }
    }
}

/// Requests seen and faults injected, by kind; tallies of several proxies add up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Requests received.
    pub requests: u64,
    /// Faults injected, indexed by `Fault as usize`.
    pub injected: [u64; KINDS],
}

impl Tally {
    /// Faults of one kind.
    pub fn injected(&self, kind: Fault) -> u64 {
        self.injected[kind as usize]
    }

    /// Faults of every kind.
    pub fn total_injected(&self) -> u64 {
        self.injected.iter().sum()
    }

    /// One line for logs and reports.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = Fault::ALL
            .iter()
            .filter(|k| self.injected(**k) > 0)
            .map(|k| format!("{k:?} {}", self.injected(*k)))
            .collect();
        format!(
            "{} requests, {} faults ({})",
            self.requests,
            self.total_injected(),
            parts.join(", ")
        )
    }
}

impl std::ops::Add for Tally {
    type Output = Tally;

    fn add(self, other: Tally) -> Tally {
        Tally {
            requests: self.requests + other.requests,
            injected: std::array::from_fn(|i| self.injected[i] + other.injected[i]),
        }
    }
}

struct Shared {
    upstream: SocketAddr,
    mix: FaultMix,
    rng: Mutex<StdRng>,
    enabled: AtomicBool,
    stats: Arc<ProxyStats>,
    /// Faults for the next requests, in order, before any random draw.
    script: Mutex<std::collections::VecDeque<Fault>>,
    /// DynamoDB costs, when metering.
    meter: Option<Arc<Meter>>,
}

/// A running proxy; it stops when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type ProxyBody = BoxBody<Bytes, std::io::Error>;

/// The service failed on purpose: hyper closes the connection without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the fault proxy")
    }
}

impl std::error::Error for Dropped {}

impl FaultProxy {
    /// Starts a proxy on a free loopback port in front of `upstream` (`http://host:port`), faults enabled.
    pub async fn start(upstream: &str, mix: FaultMix, seed: u64) -> Self {
        Self::start_with(upstream, mix, seed, None).await
    }

    /// A fault-free proxy that meters DynamoDB costs ([`Meter`]); a `sink` one also absorbs batch reads and
    /// writes.
    pub async fn metering(upstream: &str, sink: bool) -> Self {
        Self::start_with(
            upstream,
            FaultMix::none(),
            0,
            Some(Arc::new(Meter::new(sink))),
        )
        .await
    }

    async fn start_with(
        upstream: &str,
        mix: FaultMix,
        seed: u64,
        meter: Option<Arc<Meter>>,
    ) -> Self {
        let upstream_addr: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .unwrap_or_else(|e| panic!("upstream {upstream}: {e}"));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let shared = Arc::new(Shared {
            upstream: upstream_addr,
            mix,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            enabled: AtomicBool::new(true),
            stats: Arc::default(),
            script: Mutex::default(),
            meter,
        });
        let accept = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let shared = accept.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(shared.clone(), req));
                    // An error here is a dropped connection: either ours (on purpose) or the client's.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, shared, task }
    }

    /// The proxy's endpoint URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A DynamoDB client that talks to the server through this proxy.
    pub fn dynamodb(&self, sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(sdk)
                .endpoint_url(self.url())
                .build(),
        )
    }

    /// Turns fault injection on or off (the proxy keeps forwarding either way).
    pub fn set_enabled(&self, enabled: bool) {
        self.shared.enabled.store(enabled, Ordering::SeqCst);
    }

    /// The next requests meet these faults, one each, whatever the mix says (then the mix applies again).
    pub fn script(&self, faults: &[Fault]) {
        let mut script = self.shared.script.lock().unwrap_or_else(|p| p.into_inner());
        script.extend(faults.iter().copied());
    }

    /// What the proxy did so far.
    pub fn stats(&self) -> &ProxyStats {
        &self.shared.stats
    }

    /// The cost meter of a [`FaultProxy::metering`] proxy.
    pub fn meter(&self) -> Option<&Meter> {
        self.shared.meter.as_deref()
    }
}

/// Draws the fault for one request, if any.
fn draw(shared: &Shared) -> Option<(Fault, u64)> {
    if let Some(fault) = shared
        .script
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .pop_front()
    {
        return Some((fault, shared.mix.latency_ms.0));
    }
    if !shared.enabled.load(Ordering::SeqCst) {
        return None;
    }
    let mut rng = shared.rng.lock().unwrap_or_else(|p| p.into_inner());
    let u: f64 = rng.gen();
    let (lo, hi) = shared.mix.latency_ms;
    let delay = if hi > lo { rng.gen_range(lo..=hi) } else { lo };
    let mut edge = 0.0;
    for kind in Fault::ALL {
        edge += kind.share(&shared.mix);
        if u < edge {
            return Some((kind, delay));
        }
    }
    None
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<ProxyBody>, Dropped> {
    shared.stats.requests.fetch_add(1, Ordering::SeqCst);
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let service = Service::of(&target);
    let metered = shared
        .meter
        .as_deref()
        .zip(Meter::operation(&target).map(str::to_owned));
    if let Some((meter, op)) = &metered {
        if let Some(answer) = meter.sink_answer(op, &body) {
            meter.record(op, b"{}");
            return Ok(json_response(StatusCode::OK, &answer));
        }
    }
    let mut fault = draw(&shared);
    // Faults that only make sense for some calls fall back to a plain forward elsewhere.
    if matches!(fault, Some((Fault::Unprocessed, _))) && batch_op(&target).is_none() {
        fault = None;
    }
    if let Some((kind, _)) = fault {
        if kind != Fault::Truncate {
            shared.stats.injected[kind as usize].fetch_add(1, Ordering::SeqCst);
        }
    }

    let mut body_to_send = body.clone();
    let mut withheld: Option<(BatchOp, Map<String, Value>)> = None;
    match fault {
        Some((Fault::Throttle, _)) => return Ok(throttled(service)),
        Some((Fault::ErrorBefore, _)) => return Ok(server_error(service)),
        Some((Fault::DropBefore, _)) => return Err(Dropped),
        Some((Fault::Latency, ms)) => tokio::time::sleep(Duration::from_millis(ms)).await,
        Some((Fault::Unprocessed, _)) => {
            let op = batch_op(&target).expect("checked above");
            let mut rng = shared.rng.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((kept, held)) = withhold(op, &body, &mut rng) {
                body_to_send = kept;
                withheld = Some((op, held));
            }
        }
        _ => {}
    }

    // Everything withheld: nothing reaches the server, the whole request comes back unprocessed.
    if let Some((op, held)) = &withheld {
        if body_to_send.is_empty() {
            return Ok(json_response(StatusCode::OK, &unprocessed_only(*op, held)));
        }
    }

    if let Some((meter, op)) = &metered {
        if let Some(asking) = meter.request(op, &body_to_send) {
            body_to_send = Bytes::from(asking);
        }
    }
    let mut upstream_req = Request::from_parts(parts, Full::new(body_to_send.clone()));
    upstream_req
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(body_to_send.len()));
    let response = match forward(shared.upstream, upstream_req).await {
        Ok(r) => r,
        Err(_) => {
            return Ok(Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .body(full(Bytes::from_static(b"upstream unreachable")))
                .expect("static response"))
        }
    };
    let (mut rparts, rbody) = response.into_parts();
    let rbytes = rbody.collect().await.map_err(|_| Dropped)?.to_bytes();
    if let Some((meter, op)) = &metered {
        meter.record(op, &rbytes);
    }

    match fault {
        Some((Fault::ErrorAfter, _)) => return Ok(server_error(service)),
        Some((Fault::DropAfter, _)) => return Err(Dropped),
        Some((Fault::Truncate, _))
            if service == Service::S3 && rparts.status.is_success() && rbytes.len() >= 64 =>
        {
            shared.stats.injected[Fault::Truncate as usize].fetch_add(1, Ordering::SeqCst);
            let half = rbytes.slice(..rbytes.len() / 2);
            let frames = futures::stream::iter(vec![
                Ok(Frame::data(half)),
                Err(std::io::Error::other("cut off by the fault proxy")),
            ]);
            return Ok(Response::from_parts(
                rparts,
                BodyExt::boxed(StreamBody::new(frames)),
            ));
        }
        _ => {}
    }

    if let Some((op, held)) = withheld {
        if rparts.status.is_success() {
            if let Ok(mut answer) = serde_json::from_slice::<Value>(&rbytes) {
                merge_unprocessed(op, &mut answer, held);
                let merged = Bytes::from(serde_json::to_vec(&answer).expect("json"));
                // The server's checksum no longer matches the body we return.
                rparts.headers.remove("x-amz-crc32");
                rparts.headers.remove(CONTENT_LENGTH);
                return Ok(Response::from_parts(rparts, full(merged)));
            }
        }
    }
    Ok(Response::from_parts(rparts, full(rbytes)))
}

async fn forward(
    upstream: SocketAddr,
    mut req: Request<Full<Bytes>>,
) -> Result<Response<Incoming>, Box<dyn std::error::Error + Send + Sync>> {
    let stream = TcpStream::connect(upstream).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    if !req.headers().contains_key(HOST) {
        req.headers_mut()
            .insert(HOST, HeaderValue::from_str(&upstream.to_string())?);
    }
    Ok(sender.send_request(req).await?)
}

fn full(bytes: Bytes) -> ProxyBody {
    BodyExt::boxed(Full::new(bytes).map_err(|never: Infallible| match never {}))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    DynamoDb,
    Sqs,
    S3,
}

impl Service {
    fn of(target: &str) -> Self {
        if target.starts_with("DynamoDB") {
            Service::DynamoDb
        } else if target.starts_with("AmazonSQS") {
            Service::Sqs
        } else {
            Service::S3
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn withholding_keeps_every_request_exactly_once() {
        let body = json!({"RequestItems": {
            "t": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}},
                  {"PutRequest": {"Item": {"pk": {"S": "b"}}}},
                  {"DeleteRequest": {"Key": {"pk": {"S": "c"}}}}]
        }});
        let bytes = serde_json::to_vec(&body).unwrap();
        for seed in 0..50 {
            let mut rng = StdRng::seed_from_u64(seed);
            let (kept, held) = withhold(BatchOp::Write, &bytes, &mut rng).unwrap();
            let held_n = held["t"].as_array().unwrap().len();
            assert!(held_n >= 1);
            let kept_n = if kept.is_empty() {
                0
            } else {
                let v: Value = serde_json::from_slice(&kept).unwrap();
                v["RequestItems"]["t"].as_array().unwrap().len()
            };
            assert_eq!(kept_n + held_n, 3, "seed {seed}");
        }
    }

    #[test]
    fn batch_get_withheld_keys_keep_the_projection() {
        let body = json!({"RequestItems": {"t": {"Keys": [{"pk": {"S": "a"}}], "ProjectionExpression": "pk"}}});
        let mut rng = StdRng::seed_from_u64(1);
        let (kept, held) =
            withhold(BatchOp::Get, &serde_json::to_vec(&body).unwrap(), &mut rng).unwrap();
        assert!(kept.is_empty(), "one key: all of it is withheld");
        assert_eq!(held["t"]["ProjectionExpression"], "pk");
        let answer = unprocessed_only(BatchOp::Get, &held);
        assert_eq!(answer["Responses"]["t"], json!([]));
        assert_eq!(answer["UnprocessedKeys"]["t"]["Keys"][0]["pk"]["S"], "a");
    }

    #[test]
    fn shares_are_laid_out_in_order() {
        let mix = FaultMix {
            throttle: 0.5,
            latency: 0.5,
            latency_ms: (1, 1),
            ..FaultMix::none()
        };
        let shared = Shared {
            upstream: "127.0.0.1:1".parse().unwrap(),
            mix,
            rng: Mutex::new(StdRng::seed_from_u64(7)),
            enabled: AtomicBool::new(true),
            stats: Arc::default(),
            script: Mutex::default(),
            meter: None,
        };
        let draws: Vec<Fault> = (0..200)
            .filter_map(|_| draw(&shared))
            .map(|d| d.0)
            .collect();
        assert_eq!(draws.len(), 200, "shares adding to 1 always fault");
        let throttles = draws.iter().filter(|f| **f == Fault::Throttle).count();
        assert!((60..140).contains(&throttles), "{throttles}");
        shared.enabled.store(false, Ordering::SeqCst);
        assert!(draw(&shared).is_none());
    }
}
