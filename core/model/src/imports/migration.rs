//! Tables written by the first version of the pipeline: it dated a native export's rows by the post's publish day
//! while their numbers were as of the export, and it kept no `measure`, `publishedAt` or `title`. Those items say
//! something false and block the history the revised time model keeps, so they are replaced in two steps, each
//! safe to repeat: the objects they came from are ingested again (which writes snapshots dated honestly), and once
//! an import has been read by this version (its record names its `container`, which the first version never
//! wrote), its old items are deleted. New items are in place before old ones go.
//!
//! Which items: metric items the ingest worker wrote (`importId` set) without a `measure`, from a native format.
//! The canonical CSV always stated the snapshot day, so its items were right and stay (without `measure`, which
//! the contract reads as totals to date). Items whose import record or object is gone cannot be re-dated and stay
//! as they are, reported.
//!
//! The plan is pure ([`plan`]); `creatoros migrate snapshots` carries it out.

use std::collections::BTreeMap;

use crate::entities::{Import, Metric};

/// The source name the canonical CSV writes on its items.
const CANONICAL: &str = "canonical";

/// True for an item the first version wrote from a native export (dated by publish day).
pub fn is_publish_dated(m: &Metric) -> bool {
    m.import_id.is_some()
        && m.measure.is_none()
        && m.source
            .as_deref()
            .is_some_and(|s| s.split(',').next().is_some_and(|f| f.trim() != CANONICAL))
}

/// One import whose items must be replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reingest {
    /// The import.
    pub import_id: String,
    /// Its object.
    pub bucket: String,
    /// Its object's key.
    pub key: String,
    /// The publish-dated items to delete once it is ingested again: (post, platform, date).
    pub items: Vec<(String, String, String)>,
}

/// What migrating one workspace does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Imports to ingest again, each with the old items it will replace.
    pub reingest: Vec<Reingest>,
    /// Imports this version has read again: their old items can go.
    pub ready: Vec<Reingest>,
    /// Publish-dated items whose import record is gone: left as they are.
    pub orphans: Vec<(String, String, String)>,
    /// Items already in the revised model, or canonical ones, left as they are.
    pub kept: usize,
}

impl Plan {
    /// Old items still in the table, awaiting a reingest or their deletion.
    pub fn items_replaced(&self) -> usize {
        self.reingest
            .iter()
            .chain(&self.ready)
            .map(|r| r.items.len())
            .sum()
    }
}

/// The plan for a workspace's `metrics` and `imports`.
pub fn plan(metrics: &[Metric], imports: &[Import]) -> Plan {
    let by_id: BTreeMap<&str, &Import> =
        imports.iter().map(|i| (i.import_id.as_str(), i)).collect();
    let mut groups: BTreeMap<String, (Reingest, bool)> = BTreeMap::new();
    let mut plan = Plan::default();
    for m in metrics {
        if !is_publish_dated(m) {
            plan.kept += 1;
            continue;
        }
        let key = (
            m.post_id.to_string(),
            m.platform.to_string(),
            m.date.to_string(),
        );
        let import_id = m
            .import_id
            .as_deref()
            .expect("publish-dated items name their import");
        match by_id.get(import_id) {
            Some(import) => groups
                .entry(import_id.to_owned())
                .or_insert_with(|| {
                    let reread = import.container.is_some() && import.status.is_final();
                    let group = Reingest {
                        import_id: import_id.to_owned(),
                        bucket: import.bucket.clone(),
                        key: import.key.clone(),
                        items: Vec::new(),
                    };
                    (group, reread)
                })
                .0
                .items
                .push(key),
            None => plan.orphans.push(key),
        }
    }
    for (group, reread) in groups.into_values() {
        if reread {
            plan.ready.push(group);
        } else {
            plan.reingest.push(group);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn metric(
        post: &str,
        date: &str,
        source: &str,
        import: Option<&str>,
        measure: Option<&str>,
    ) -> Metric {
        let mut v = json!({"workspaceId": "ws", "postId": post, "platform": "x", "date": date,
            "month": &date[..7], "impressions": 10, "source": source});
        if let Some(i) = import {
            v["importId"] = json!(i);
        }
        if let Some(m) = measure {
            v["measure"] = json!(m);
        }
        serde_json::from_value(v).unwrap()
    }

    fn import(id: &str) -> Import {
        serde_json::from_value(
            json!({"workspaceId": "ws", "importId": id, "month": "2021-12",
            "status": "completed", "bucket": "b", "key": format!("imports/ws/{id}.csv"),
            "sourceTime": "2021-12-02T00:00:00.000Z", "version": 3}),
        )
        .unwrap()
    }

    #[test]
    fn only_native_items_of_the_first_version_are_replaced() {
        let metrics = [
            metric("x-1", "2021-11-30", "x-tweet-activity", Some("imp-a"), None),
            metric("x-2", "2021-11-29", "x-tweet-activity", Some("imp-a"), None),
            metric(
                "x-1",
                "2021-12-01",
                "x-tweet-activity",
                Some("imp-b"),
                Some("lifetime"),
            ),
            metric("p-1", "2021-11-30", "canonical", Some("imp-c"), None),
            metric("p-2", "2021-11-30", "x-content", None, None),
            metric("x-3", "2021-11-28", "x-content", Some("imp-gone"), None),
        ];
        let p = plan(
            &metrics,
            &[import("imp-a"), import("imp-b"), import("imp-c")],
        );
        assert_eq!(p.reingest.len(), 1);
        assert!(p.ready.is_empty());
        assert_eq!(p.reingest[0].key, "imports/ws/imp-a.csv");
        assert_eq!(p.items_replaced(), 2);
        assert_eq!(
            p.orphans,
            [("x-3".to_owned(), "x".to_owned(), "2021-11-28".to_owned())]
        );
        assert_eq!(p.kept, 3, "revised, canonical and app-written items stay");

        // Once this version has read the object again, the old items can go.
        let mut reread = import("imp-a");
        reread.container = Some("plain".into());
        let p = plan(&metrics, &[reread, import("imp-b"), import("imp-c")]);
        assert!(p.reingest.is_empty());
        assert_eq!(p.ready.len(), 1);
        assert_eq!(p.ready[0].items.len(), 2);
    }
}
