//! Runs ElectroDB itself (node, `core/model/electrodb/interop.mjs`) against the table, so the demo and the interop
//! tests see items exactly as the app will.

use std::path::PathBuf;
use std::process::Stdio;

use creatoros_model::contract::{Casing, EntitySchema};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

/// Running node failed, or it answered something unreadable.
#[derive(Debug, thiserror::Error)]
#[error("ElectroDB interop ({dir}): {message}")]
pub struct ElectroDbError {
    /// Folder of the contract model.
    pub dir: String,
    /// What went wrong.
    pub message: String,
}

/// ElectroDB over one table.
#[derive(Debug, Clone)]
pub struct ElectroDb {
    dir: PathBuf,
    endpoint: Option<String>,
    table: String,
    casing: Casing,
}

impl ElectroDb {
    /// The contract model's folder: `CREATOROS_ELECTRODB_DIR`, else `core/model/electrodb` of this checkout.
    pub fn model_dir() -> PathBuf {
        std::env::var_os("CREATOROS_ELECTRODB_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../core/model/electrodb")
            })
    }

    /// ElectroDB on `table` at the SDK's DynamoDB endpoint, with the model declared in `casing`.
    pub fn new(table: impl Into<String>, casing: Casing) -> Self {
        Self {
            dir: Self::model_dir(),
            endpoint: crate::aws::dynamodb_endpoint(),
            table: table.into(),
            casing,
        }
    }

    /// Runs `ops` in one node process; each answer is the op's data or its error message.
    pub async fn run(&self, ops: Vec<Value>) -> Result<Vec<Result<Value, String>>, ElectroDbError> {
        let err = |message: String| ElectroDbError {
            dir: self.dir.display().to_string(),
            message,
        };
        if !self.dir.join("node_modules/electrodb").exists() {
            return Err(err(
                "node_modules missing: run `infra/scripts/stack.sh install` (or `make stack-up`)"
                    .into(),
            ));
        }
        let request = json!({
            "table": self.table,
            "endpoint": self.endpoint,
            "casing": match self.casing { Casing::None => "none", Casing::Lower => "default" },
            "ops": ops,
        });
        let mut child = tokio::process::Command::new("node")
            .arg("interop.mjs")
            .current_dir(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| err(format!("cannot start node: {e}")))?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        stdin
            .write_all(request.to_string().as_bytes())
            .await
            .map_err(|e| err(format!("writing the request: {e}")))?;
        drop(stdin);
        let out = child
            .wait_with_output()
            .await
            .map_err(|e| err(format!("waiting for node: {e}")))?;
        if !out.status.success() {
            return Err(err(format!(
                "node exited with {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        let answers: Vec<Value> = serde_json::from_slice(&out.stdout).map_err(|e| {
            err(format!(
                "unreadable answer ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            ))
        })?;
        Ok(answers
            .into_iter()
            .map(|a| {
                if a["ok"] == true {
                    Ok(a["data"].clone())
                } else {
                    Err(a["error"].as_str().unwrap_or("unknown error").to_owned())
                }
            })
            .collect())
    }
}

/// One fully specified query per access pattern of `schema`, with composites taken from `document`
/// (the entity as JSON): what ElectroDB must answer with exactly that item.
pub fn full_queries(schema: &EntitySchema, document: &Value) -> Vec<(&'static str, Value)> {
    schema
        .indexes
        .iter()
        .map(|ix| {
            let composites: serde_json::Map<String, Value> = ix
                .pk
                .iter()
                .chain(ix.sk)
                .map(|name| (name.to_string(), document[*name].clone()))
                .collect();
            (
                ix.access_pattern,
                json!({"op": "query", "entity": schema.name, "accessPattern": ix.access_pattern,
                       "composites": composites}),
            )
        })
        .collect()
}
