//! Rust and ElectroDB read each other's items in DynamoDB Local, through every index, under both key casings:
//! the contract's `casing: "none"` and ElectroDB's default lower-casing.

use creatoros_cli::demo;
use creatoros_model::contract::schema::entity_by_name;
use creatoros_model::contract::{Casing, Entity, IndexName, KeyCodec};
use creatoros_model::entities::{Metric, Post, Task};
use creatoros_stack::electrodb::{full_queries, ElectroDb};
use creatoros_store::TableRepo;
use creatoros_tests::LocalStack;
use serde_json::json;

const MONTH: &str = "2026-10";

async fn rust_writes_electrodb_reads(casing: Casing, workspace: &str) {
    let stack = LocalStack::connect().await;
    let table = stack.fresh_table("rust-to-electrodb").await;
    let repo = TableRepo::new(stack.dynamodb(), &table, KeyCodec::new(casing));
    let mut documents = demo::sample_documents(workspace, MONTH);
    documents.push((
        "derivation",
        json!({"workspaceId": workspace, "month": MONTH, "watermark": "2026-10-10T09:00:00.000Z", "contentHash": "abc",
               "insightIds": ["outlier_post-x-post-launch-2026-10"], "taskIds": [], "runs": 1, "catalogue": "2"}),
    ));
    documents.push((
        "schedule",
        json!({"workspaceId": workspace, "day": "2026-10-11", "month": MONTH}),
    ));
    documents.push((
        "lock",
        json!({"workspaceId": workspace, "name": "ingest", "owner": "w-1", "expiresAt": "2026-10-10T09:05:00.000Z",
               "holder": "imp-1"}),
    ));
    demo::write_documents(&repo, &documents).await.unwrap();
    let written: std::collections::BTreeSet<_> = documents.iter().map(|(e, _)| *e).collect();
    assert_eq!(
        written.len(),
        creatoros_model::contract::schema::ALL_ENTITIES.len(),
        "one of every entity: {written:?}"
    );

    // Fully specified query per index: exactly the item written, attribute for attribute.
    let mut ops = Vec::new();
    let mut expected = Vec::new();
    for (entity, doc) in &documents {
        for (access_pattern, op) in full_queries(entity_by_name(entity).unwrap(), doc) {
            ops.push(op);
            expected.push((format!("{entity}.{access_pattern}"), doc.clone()));
        }
    }
    let electrodb = ElectroDb::new(&table, casing);
    let answers = electrodb.run(ops).await.unwrap();
    assert_eq!(answers.len(), expected.len());
    for ((what, doc), answer) in expected.into_iter().zip(answers) {
        let items = answer.unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(items, json!([doc]), "{what} under {casing:?}");
    }

    // Partition queries (what the app's month views run) find every item of the partition.
    let (report, ok) = demo::read_back(&electrodb, &documents).await.unwrap();
    assert!(ok, "{report}");
}

#[tokio::test]
async fn rust_items_read_by_electrodb_through_every_index_with_casing_none() {
    rust_writes_electrodb_reads(Casing::None, "DEMO#judge").await;
}

#[tokio::test]
async fn rust_items_read_by_electrodb_through_every_index_with_default_casing() {
    rust_writes_electrodb_reads(Casing::Lower, "org_2LowerCased").await;
}

async fn electrodb_writes_rust_reads(casing: Casing, workspace: &str) {
    let stack = LocalStack::connect().await;
    let table = stack.fresh_table("electrodb-to-rust").await;
    let post = json!({"workspaceId": workspace, "postId": "Post_From_App", "status": "published",
        "month": MONTH, "publishDate": "2026-10-05", "title": "Written by ElectroDB", "version": 4,
        "tags": ["app", "launch"], "createdAt": "2026-10-01T08:00:00.000Z"});
    let metric = json!({"workspaceId": workspace, "postId": "Post_From_App", "platform": "linkedin",
        "date": "2026-10-07", "month": MONTH, "impressions": 5400, "likes": 120, "comments": 9,
        "watchTimeSeconds": 12.5, "followersGained": -3, "source": "app"});
    let task = json!({"workspaceId": workspace, "taskId": "task-from-app", "month": MONTH, "status": "done",
        "title": "Answer comments", "priority": 2, "assigneeId": "user_2abcXYZ"});
    let electrodb = ElectroDb::new(&table, casing);
    let answers = electrodb
        .run(vec![
            json!({"op": "put", "entity": "post", "item": post}),
            json!({"op": "put", "entity": "metric", "item": metric}),
            json!({"op": "put", "entity": "task", "item": task}),
        ])
        .await
        .unwrap();
    for a in answers {
        a.unwrap();
    }

    let repo = TableRepo::new(stack.dynamodb(), &table, KeyCodec::new(casing));
    let got: Post = repo
        .get(&[("workspaceId", workspace), ("postId", "Post_From_App")])
        .await
        .unwrap()
        .expect("post found by primary key");
    assert_eq!(got, serde_json::from_value::<Post>(post.clone()).unwrap());
    let ws = ("workspaceId", workspace);
    let month = ("month", MONTH);
    found_through::<Post>(
        &repo,
        &post,
        &[
            (IndexName::Gsi1, vec![ws, month]),
            (IndexName::Gsi2, vec![ws, ("status", "published")]),
        ],
    )
    .await;
    found_through::<Metric>(
        &repo,
        &metric,
        &[
            (IndexName::Primary, vec![ws]),
            (IndexName::Gsi1, vec![ws, month]),
            (IndexName::Gsi2, vec![ws, ("platform", "linkedin")]),
        ],
    )
    .await;
    found_through::<Task>(
        &repo,
        &task,
        &[
            (IndexName::Primary, vec![ws, ("taskId", "task-from-app")]),
            (IndexName::Gsi1, vec![ws, month]),
            (IndexName::Gsi2, vec![ws, ("status", "done"), month]),
        ],
    )
    .await;
}

/// Each query finds exactly the entity ElectroDB wrote as `document`.
async fn found_through<E: Entity + PartialEq + std::fmt::Debug + Clone>(
    repo: &TableRepo,
    document: &serde_json::Value,
    queries: &[(IndexName, Vec<(&str, &str)>)],
) {
    let want: E = serde_json::from_value(document.clone()).unwrap();
    for (index, composites) in queries {
        let condition = repo.codec().query(E::SCHEMA, *index, composites).unwrap();
        let found: Vec<E> = repo.query(&condition).await.unwrap();
        assert_eq!(
            found,
            vec![want.clone()],
            "{} via {index:?}",
            E::SCHEMA.name
        );
    }
}

#[tokio::test]
async fn electrodb_items_read_by_rust_with_casing_none() {
    electrodb_writes_rust_reads(Casing::None, "DEMO#judge").await;
}

#[tokio::test]
async fn electrodb_items_read_by_rust_with_default_casing() {
    electrodb_writes_rust_reads(Casing::Lower, "org_2LowerCased").await;
}

#[tokio::test]
async fn the_shipped_model_declares_the_rust_schema() {
    // Needs node only; the table is never touched.
    let answers = ElectroDb::new("unused", Casing::None)
        .run(vec![json!({"op": "describe"})])
        .await
        .unwrap();
    let model = answers.into_iter().next().unwrap().unwrap();
    let names: Vec<&String> = model.as_object().unwrap().keys().collect();
    assert_eq!(
        names.len(),
        creatoros_model::contract::schema::ALL_ENTITIES.len(),
        "{names:?}"
    );
    for schema in creatoros_model::contract::schema::ALL_ENTITIES {
        let js = &model[schema.name];
        assert_eq!(js["version"], schema.version, "{}", schema.name);
        assert_eq!(
            js["indexes"].as_object().unwrap().len(),
            schema.indexes.len(),
            "{}",
            schema.name
        );
        for ix in schema.indexes {
            let j = &js["indexes"][ix.index.label()];
            assert_eq!(
                j["accessPattern"], ix.access_pattern,
                "{}.{:?}",
                schema.name, ix.index
            );
            assert_eq!(j["pk"], json!(ix.pk), "{}.{:?}", schema.name, ix.index);
            assert_eq!(j["sk"], json!(ix.sk), "{}.{:?}", schema.name, ix.index);
        }
        let js_attrs = js["attributes"].as_object().unwrap();
        assert_eq!(
            js_attrs.len(),
            schema.attributes.len(),
            "{} attribute count",
            schema.name
        );
        for a in schema.attributes {
            let j = &js_attrs[a.name];
            assert_eq!(j["required"], a.required, "{}.{}", schema.name, a.name);
            assert_eq!(
                j["padding"].as_u64(),
                a.padding.map(|p| p.length as u64),
                "{}.{}",
                schema.name,
                a.name
            );
        }
    }
}
