//! The reliability workload and its verdict: a fixed set of uploads (several workspaces, formats, bad rows, a newer
//! upload overriding an older one, checkpointed imports, two months of insights), run through the whole local
//! pipeline, then reduced to a [`Outcome`] that two runs can be compared by.
//!
//! A clean run and a run under faults (or crashes) must end in equal outcomes: the same items in every workspace
//! (volatile attributes aside), the same rejects files, every import in a final state, and empty dead-letter queues.

use std::collections::BTreeMap;
use std::time::Duration;

use creatoros_model::contract::KeyCodec;
use creatoros_model::entities::ImportStatus;
use creatoros_stack::resources;
use creatoros_store::TableRepo;
use serde_json::Value;

use crate::pipeline::PipelineHarness;
use crate::proxy::{FaultMix, FaultProxy, Tally};

/// Workspaces the workload writes to.
pub const WORKSPACES: [&str; 4] = ["rel-a", "rel-b", "rel-c", "rel-d"];

/// Attributes that differ between two runs doing the same work: when the objects were uploaded (each run uploads
/// its own copies) and where to. Everything else must match.
const RUN_SPECIFIC: [&str; 3] = ["capturedAt", "sourceTime", "bucket"];

/// One upload of the workload.
#[derive(Debug, Clone)]
pub struct Upload {
    /// Object key (`imports/<workspace>/<name>`).
    pub key: String,
    /// Object bytes.
    pub bytes: Vec<u8>,
}

fn upload(workspace: &str, name: &str, bytes: &[u8]) -> Upload {
    Upload {
        key: format!("imports/{workspace}/{name}"),
        bytes: bytes.to_vec(),
    }
}

/// A canonical export of `posts` posts per platform and month over June and July 2026, with a few planted
/// outliers; `bump` is added to every like count (a re-export with newer numbers).
pub fn canonical(posts: usize, bump: u64) -> Vec<u8> {
    let mut csv = String::from("post_id,platform,date,impressions,likes,comments,shares\n");
    for month in ["06", "07"] {
        for platform in ["x", "linkedin", "youtube"] {
            for i in 0..posts {
                let impressions = 5_000 + (i as u64 * 37) % 3_000;
                let mut likes = 150 + (i as u64 * 13) % 60 + bump;
                if i % 97 == 5 {
                    likes *= 12;
                }
                csv.push_str(&format!(
                    "{platform}-{month}-{i},{platform},2026-{month}-{:02},{impressions},{likes},{},{}\n",
                    1 + i % 28,
                    i % 9,
                    i % 4
                ));
            }
        }
    }
    csv.into_bytes()
}

/// The uploads, in the order they are made. The update of `rel-a` must be uploaded after the original (newest
/// upload wins), so [`Workload::first`] and [`Workload::later`] are uploaded a second apart.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Uploaded first.
    pub first: Vec<Upload>,
    /// Uploaded after a pause, overriding some of `first`.
    pub later: Vec<Upload>,
}

impl Workload {
    /// The standard workload: about 1,300 rows in 9 files over 4 workspaces.
    pub fn standard() -> Self {
        let exports = |name: &str| -> Vec<u8> {
            let path = format!("{}/fixtures/exports/{name}", env!("CARGO_MANIFEST_DIR"));
            std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
        };
        let bad = |name: &str| -> Vec<u8> {
            let path = format!("{}/fixtures/bad/{name}", env!("CARGO_MANIFEST_DIR"));
            std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
        };
        let update: Vec<u8> = {
            let full = String::from_utf8(canonical(120, 7)).expect("utf-8");
            let mut lines: Vec<&str> = full.lines().take(201).collect();
            lines.push("");
            lines.join("\n").into_bytes()
        };
        Self {
            first: vec![
                upload("rel-a", "posts.csv", &canonical(120, 0)),
                upload(
                    "rel-b",
                    "tweet_activity_metrics_rOpenSci_20211101_20211201_en.csv",
                    &exports("tweet_activity_metrics_rOpenSci_20211101_20211201_en.csv"),
                ),
                upload(
                    "rel-b",
                    "Table data.csv",
                    &exports("youtube-studio Table data.csv"),
                ),
                upload("rel-b", "negative-counts.csv", &bad("negative-counts.csv")),
                // Its rows overlap negative-counts.csv: a workspace of its own keeps the winner independent of timing.
                upload("rel-d", "truncated.csv.gz", &bad("truncated.csv.gz")),
                upload(
                    "rel-c",
                    "linkedin.csv",
                    &exports("linkedin_company_all_posts.csv"),
                ),
                upload(
                    "rel-c",
                    "笔记列表明细表.csv",
                    &exports("笔记列表明细表-gb18030.csv"),
                ),
                upload("rel-c", "formula-cells.csv", &bad("formula-cells.csv")),
            ],
            later: vec![upload("rel-a", "posts-update.csv", &update)],
        }
    }
}

/// What a run left behind, reduced to what any correct run must agree on.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Every item of every workspace (sorted, volatile and run-specific attributes removed).
    pub items: BTreeMap<String, Vec<Value>>,
    /// Every rejects file, by key.
    pub rejects: BTreeMap<String, String>,
    /// Imports not in a final state (`completed`, `partial`, `failed`), or still leased.
    pub unfinished: Vec<String>,
    /// Messages left in the ingest and insights dead-letter queues.
    pub dead_letters: (usize, usize),
}

impl Outcome {
    /// Items in all workspaces.
    pub fn item_count(&self) -> usize {
        self.items.values().map(Vec::len).sum()
    }

    /// A readable account of how `self` differs from `clean`, or `None` when they agree.
    pub fn differences(&self, clean: &Outcome) -> Option<String> {
        let mut out = Vec::new();
        for ws in clean.items.keys().chain(self.items.keys()) {
            let (a, b) = (
                clean.items.get(ws).cloned().unwrap_or_default(),
                self.items.get(ws).cloned().unwrap_or_default(),
            );
            if a == b {
                continue;
            }
            let keyed = |items: &[Value]| -> BTreeMap<String, Value> {
                items
                    .iter()
                    .map(|v| (v["sk"].as_str().unwrap_or_default().to_owned(), v.clone()))
                    .collect()
            };
            let (ka, kb) = (keyed(&a), keyed(&b));
            for (sk, va) in &ka {
                match kb.get(sk) {
                    None => out.push(format!("{ws}: missing {sk}")),
                    Some(vb) if vb != va => out.push(format!("{ws}: {sk}: {}", field_diff(va, vb))),
                    _ => {}
                }
            }
            for sk in kb.keys().filter(|sk| !ka.contains_key(*sk)) {
                out.push(format!("{ws}: extra {sk}"));
            }
        }
        if self.rejects != clean.rejects {
            out.push(format!(
                "rejects files differ: clean {:?}, this {:?}",
                clean.rejects.keys(),
                self.rejects.keys()
            ));
        }
        if !self.unfinished.is_empty() {
            out.push(format!("unfinished imports: {:?}", self.unfinished));
        }
        if self.dead_letters != (0, 0) {
            out.push(format!(
                "dead letters (ingest, insights): {:?}",
                self.dead_letters
            ));
        }
        out.sort();
        out.dedup();
        (!out.is_empty()).then(|| out.join("\n"))
    }
}

/// The attributes two versions of an item disagree on, as `name: clean → this`.
fn field_diff(clean: &Value, this: &Value) -> String {
    let empty = serde_json::Map::new();
    let (a, b) = (
        clean.as_object().unwrap_or(&empty),
        this.as_object().unwrap_or(&empty),
    );
    let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| a.get(*n) != b.get(*n))
        .map(|n| {
            let show = |v: Option<&Value>| v.map_or("(absent)".to_owned(), Value::to_string);
            format!("{n}: {} → {}", show(a.get(n)), show(b.get(n)))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Uploads the workload.
pub async fn upload_workload(p: &PipelineHarness, w: &Workload) {
    for u in &w.first {
        p.h.upload(&u.key, u.bytes.clone()).await;
    }
    // S3 keeps LastModified to the second: the update must be visibly newer.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for u in &w.later {
        p.h.upload(&u.key, u.bytes.clone()).await;
    }
}

/// Settings that make the small workload exercise checkpoints: 100-row chunks, a checkpoint every 2 chunks.
/// Leases are 10 s: a lock whose release failed (after the SDK's retries) holds others back that long.
pub fn small_chunks(p: &mut PipelineHarness) {
    for s in [&mut p.h.ctx.settings, &mut p.pipeline.ingest.settings] {
        s.chunk_rows = 100;
        s.checkpoint_chunks = 2;
        s.lease = Duration::from_secs(10);
    }
    p.pipeline.insights.settings.lease = Duration::from_secs(10);
}

/// Points both workers' clients (DynamoDB, S3, SQS) through fault proxies; the runners and the harness's own
/// reads stay direct. Returns the proxies (DynamoDB, moto), faults enabled.
pub async fn through_proxies(
    p: &mut PipelineHarness,
    mix: FaultMix,
    seed: u64,
) -> (FaultProxy, FaultProxy) {
    let env = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let ddb = FaultProxy::start(&env("CREATOROS_DYNAMODB_URL"), mix, seed).await;
    let moto = FaultProxy::start(&env("CREATOROS_MOTO_URL"), mix, seed.wrapping_add(1)).await;
    let sdk = &p.h.stack.sdk;
    let dynamodb = ddb.dynamodb(sdk);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .endpoint_url(moto.url())
            .force_path_style(true)
            .build(),
    );
    let sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(sdk)
            .endpoint_url(moto.url())
            .build(),
    );
    let table = p.h.made.table.clone();
    let codec: KeyCodec = *p.pipeline.ingest.repo.codec();
    p.pipeline.ingest.repo = TableRepo::new(dynamodb.clone(), &table, codec);
    p.pipeline.ingest.s3 = s3;
    p.pipeline.ingest.sqs = sqs.clone();
    p.pipeline.insights.repo = TableRepo::new(dynamodb, &table, codec);
    p.pipeline.insights.sqs = sqs;
    (ddb, moto)
}

/// Reads what a run left behind.
pub async fn outcome(p: &PipelineHarness) -> Outcome {
    let mut items = BTreeMap::new();
    let mut rejects = BTreeMap::new();
    let mut unfinished = Vec::new();
    for ws in WORKSPACES {
        let imports = p.h.imports(ws).await;
        // Import ids are derived from the bucket too: name them by their object key instead.
        let names: Vec<(String, String)> = imports
            .iter()
            .map(|i| (i.import_id.as_str().to_owned(), format!("imp<{}>", i.key)))
            .collect();
        let rename = |text: &str| {
            names
                .iter()
                .fold(text.to_owned(), |t, (id, name)| t.replace(id, name))
        };
        let mut dump: Vec<Value> =
            p.h.dump(ws)
                .await
                .into_iter()
                .map(|mut item| {
                    if let Some(obj) = item.as_object_mut() {
                        for key in RUN_SPECIFIC {
                            obj.remove(key);
                        }
                    }
                    serde_json::from_str(&rename(&item.to_string())).expect("json")
                })
                .collect();
        dump.sort_by(|a, b| a["sk"].as_str().cmp(&b["sk"].as_str()));
        items.insert(ws.to_owned(), dump);
        for import in imports {
            let done = matches!(
                import.status,
                ImportStatus::Completed | ImportStatus::Partial | ImportStatus::Failed
            );
            if !done || import.lease_owner.is_some() {
                unfinished.push(format!(
                    "{} ({:?}, lease {:?})",
                    import.key, import.status, import.lease_owner
                ));
            }
            if let Some(key) = &import.rejects_key {
                rejects.insert(rename(key), rename(&p.h.object_text(key).await));
            }
        }
    }
    let depth = |id: &str| {
        let url = p.h.made.queue_urls[id].clone();
        let sqs = p.h.stack.sqs();
        async move {
            let runner = creatoros_runners::queue::QueueRunner::new(sqs, url);
            runner.backlog().await.expect("dead-letter queue depth")
        }
    };
    let dead_letters = (
        depth(resources::INGEST_DLQ_ID).await,
        depth(resources::INSIGHTS_DLQ_ID).await,
    );
    Outcome {
        items,
        rejects,
        unfinished,
        dead_letters,
    }
}

/// Runs the workload on fresh resources, under `mix` when given, and returns what it left behind and what the
/// proxies injected (nothing for a clean run).
pub async fn run_workload(test: &str, mix: Option<FaultMix>, seed: u64) -> (Outcome, Tally) {
    let mut p = PipelineHarness::new(test).await;
    small_chunks(&mut p);
    let proxies = match mix {
        Some(mix) => Some(through_proxies(&mut p, mix, seed).await),
        None => None,
    };
    upload_workload(&p, &Workload::standard()).await;
    p.run_all().await;
    let tally = match &proxies {
        Some((ddb, moto)) => {
            ddb.set_enabled(false);
            moto.set_enabled(false);
            ddb.stats().tally() + moto.stats().tally()
        }
        None => Tally::default(),
    };
    (outcome(&p).await, tally)
}
