//! Writes metric and daily items so the newest upload wins, whatever order files are processed in.
//!
//! Every item carries its source's time (`capturedAt`, the object's upload time) and `importId`; between two
//! writes of one key, the larger `(capturedAt, importId)` wins, and ties go to what is stored.
//!
//! Two ways to enforce it, measured against each other in `BENCHMARKS.md`:
//! - [`WriteMode::Batch`] (the default): read the stored versions of a chunk's keys (`BatchGetItem`), drop rows
//!   that are older than or identical to what is stored, `BatchWriteItem` the rest. Correct only while no other
//!   import writes the same workspace at the same time, which the workspace lock ([`crate::lock`]) guarantees.
//! - [`WriteMode::Conditional`]: one conditional `PutItem` per row, many in flight; needs no lock, costs a
//!   request per item.

use std::collections::HashMap;

use creatoros_model::contract::AttributeValue;
use creatoros_model::contract::Item;
use creatoros_store::{Condition, RepoError, TableRepo};
use futures::StreamExt;

/// How metric writes keep newest-upload-wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Read, filter, batch-write, under the workspace lock.
    Batch,
    /// Conditional put per item.
    Conditional,
}

/// What a write did with its rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Items written.
    pub written: usize,
    /// Rows whose stored item already held exactly these values.
    pub unchanged: usize,
    /// Rows older than what is stored (a newer upload got there first).
    pub superseded: usize,
}

impl std::ops::AddAssign for WriteStats {
    fn add_assign(&mut self, other: Self) {
        self.written += other.written;
        self.unchanged += other.unchanged;
        self.superseded += other.superseded;
    }
}

fn s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v),
        _ => None,
    }
}

/// True when `stored` must not be replaced by `ours`: it comes from a newer source, or from the same one and
/// is the same import or a later one. A stored item without `capturedAt` is older than anything.
fn stored_wins(stored: &Item, ours: &Item) -> bool {
    let (Some(theirs), Some(mine)) = (s(stored, "capturedAt"), s(ours, "capturedAt")) else {
        return false;
    };
    match theirs.cmp(mine) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => match (s(stored, "importId"), s(ours, "importId")) {
            (Some(a), Some(b)) => a > b,
            // An app edit stamped with the same instant keeps its value.
            (None, _) => true,
            (Some(_), None) => false,
        },
    }
}

/// `pk | sk` of an item.
fn key_of(item: &Item) -> (String, String) {
    (
        s(item, "pk").unwrap_or_default().to_owned(),
        s(item, "sk").unwrap_or_default().to_owned(),
    )
}

/// Writes metrics into one table.
#[derive(Debug, Clone)]
pub struct MetricWriter<'a> {
    repo: &'a TableRepo,
    mode: WriteMode,
    concurrency: usize,
}

impl<'a> MetricWriter<'a> {
    /// A writer; `concurrency` bounds conditional puts in flight (batch writes use the repository's bound).
    pub fn new(repo: &'a TableRepo, mode: WriteMode, concurrency: usize) -> Self {
        Self {
            repo,
            mode,
            concurrency: concurrency.max(1),
        }
    }

    /// Writes `items` (metric and daily items, encoded); on error, some may have been written (writes are
    /// idempotent, so the caller retries the whole chunk).
    pub async fn write(&self, items: Vec<Item>) -> Result<WriteStats, RepoError> {
        // Later rows for the same key win within a chunk, as they would across chunks.
        let count = items.len();
        let mut by_key: HashMap<(String, String), Item> = HashMap::with_capacity(count);
        let mut order = Vec::with_capacity(count);
        for item in items {
            let key = key_of(&item);
            if by_key.insert(key.clone(), item).is_none() {
                order.push(key);
            }
        }
        let duplicates = count - order.len();
        let items: Vec<Item> = order
            .into_iter()
            .filter_map(|k| by_key.remove(&k))
            .collect();
        let mut stats = match self.mode {
            WriteMode::Batch => self.write_batch(items).await?,
            WriteMode::Conditional => self.write_conditional(items).await?,
        };
        stats.unchanged += duplicates;
        Ok(stats)
    }

    async fn write_batch(&self, items: Vec<Item>) -> Result<WriteStats, RepoError> {
        let keys: Vec<Item> = items
            .iter()
            .map(|i| {
                let (pk, sk) = key_of(i);
                HashMap::from([
                    ("pk".to_owned(), AttributeValue::S(pk)),
                    ("sk".to_owned(), AttributeValue::S(sk)),
                ])
            })
            .collect();
        let stored: HashMap<(String, String), Item> = self
            .repo
            .batch()
            .get_items(keys)
            .await?
            .into_iter()
            .map(|i| (key_of(&i), i))
            .collect();
        let mut stats = WriteStats::default();
        let mut to_write = Vec::with_capacity(items.len());
        for item in items {
            match stored.get(&key_of(&item)) {
                Some(old) if *old == item => stats.unchanged += 1,
                Some(old) if stored_wins(old, &item) => stats.superseded += 1,
                _ => to_write.push(item),
            }
        }
        stats.written = self.repo.batch().put_items(to_write).await.into_result()?;
        Ok(stats)
    }

    async fn write_conditional(&self, items: Vec<Item>) -> Result<WriteStats, RepoError> {
        let results: Vec<Result<bool, RepoError>> = futures::stream::iter(items)
            .map(|item| async move {
                let t = s(&item, "capturedAt").unwrap_or_default().to_owned();
                let id = s(&item, "importId").unwrap_or_default().to_owned();
                let condition = Condition {
                    expression: "attribute_not_exists(#pk) OR attribute_not_exists(#t) OR #t < :t \
                                 OR (#t = :t AND #i <= :i)"
                        .to_owned(),
                    names: vec![
                        ("#pk".into(), "pk".into()),
                        ("#t".into(), "capturedAt".into()),
                        ("#i".into(), "importId".into()),
                    ],
                    values: vec![
                        (":t".into(), AttributeValue::S(t)),
                        (":i".into(), AttributeValue::S(id)),
                    ],
                };
                match self.repo.put_item_if(item, Some(condition)).await {
                    Ok(()) => Ok(true),
                    Err(e) if e.is_condition_failed() => Ok(false),
                    Err(e) => Err(e),
                }
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        let mut stats = WriteStats::default();
        for r in results {
            if r? {
                stats.written += 1;
            } else {
                stats.superseded += 1;
            }
        }
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(t: Option<&str>, id: Option<&str>) -> Item {
        let mut i = Item::new();
        if let Some(t) = t {
            i.insert("capturedAt".into(), AttributeValue::S(t.into()));
        }
        if let Some(id) = id {
            i.insert("importId".into(), AttributeValue::S(id.into()));
        }
        i
    }

    #[test]
    fn newer_source_wins_ties_break_on_import_id_and_app_edits_keep_ties() {
        let t1 = "2026-10-01T00:00:00.000Z";
        let t2 = "2026-10-02T00:00:00.000Z";
        assert!(stored_wins(
            &item(Some(t2), Some("imp-a")),
            &item(Some(t1), Some("imp-b"))
        ));
        assert!(!stored_wins(
            &item(Some(t1), Some("imp-b")),
            &item(Some(t2), Some("imp-a"))
        ));
        assert!(stored_wins(
            &item(Some(t1), Some("imp-b")),
            &item(Some(t1), Some("imp-a"))
        ));
        assert!(
            !stored_wins(
                &item(Some(t1), Some("imp-a")),
                &item(Some(t1), Some("imp-a"))
            ),
            "same import rewrites"
        );
        assert!(
            stored_wins(&item(Some(t1), None), &item(Some(t1), Some("imp-a"))),
            "app edit at the same instant"
        );
        assert!(
            !stored_wins(&item(None, None), &item(Some(t1), Some("imp-a"))),
            "undated app item is oldest"
        );
    }
}
