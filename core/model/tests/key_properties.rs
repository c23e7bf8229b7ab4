//! Properties of the key codec over generated entities: distinct valid entities never share a primary key,
//! keys can be split back into their composites, and values that break the id rules never reach an item.

use creatoros_model::contract::{Casing, Entity, KeyCodec};
use creatoros_model::entities::{Import, Insight, Metric, Platform, Task};
use creatoros_model::ids::{Day, ItemId, WorkspaceId};
use proptest::prelude::*;
use serde_dynamo::AttributeValue;
use serde_json::json;

fn workspace() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_-]{1,64}",
        "[A-Za-z0-9_-]{1,59}".prop_map(|s| format!("DEMO#{s}")),
    ]
}

fn item_id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{1,128}"
}

fn day() -> impl Strategy<Value = String> {
    (2000i32..2100, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}

fn platform() -> impl Strategy<Value = Platform> {
    prop::sample::select(Platform::ALL.to_vec())
}

/// Anything at all, biased towards the characters that matter in keys.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,80}",
        "[A-Za-z0-9#$_ -]{0,20}",
        "DEMO#[#$a-z_]{0,10}"
    ]
}

fn metric(ws: &str, post: &str, platform: Platform, date: &str) -> Metric {
    serde_json::from_value(json!({
        "workspaceId": ws, "postId": post, "platform": platform, "date": date,
        "month": &date[..7], "impressions": 1
    }))
    .unwrap()
}

fn primary_key<E: Entity>(codec: &KeyCodec, e: &E) -> (String, String) {
    let item = codec.encode(e).unwrap();
    let s = |k: &str| match &item[k] {
        AttributeValue::S(s) => s.clone(),
        other => panic!("{k} is {other:?}"),
    };
    (s("pk"), s("sk"))
}

proptest! {
    #[test]
    fn distinct_metrics_never_share_a_primary_key(
        a in (workspace(), item_id(), platform(), day()),
        b in (workspace(), item_id(), platform(), day()),
    ) {
        let codec = KeyCodec::new(Casing::None);
        let ka = primary_key(&codec, &metric(&a.0, &a.1, a.2, &a.3));
        let kb = primary_key(&codec, &metric(&b.0, &b.1, b.2, &b.3));
        prop_assert_eq!(a == b, ka == kb, "{:?} vs {:?}", ka, kb);
    }

    #[test]
    fn workspaces_differing_only_in_case_stay_apart_under_the_contract(ws in "[a-z][a-z0-9]{0,20}") {
        let upper = ws.to_uppercase();
        let none = KeyCodec::new(Casing::None);
        let lower = KeyCodec::new(Casing::Lower);
        let (a, b) = (metric(&ws, "p", Platform::X, "2025-01-01"), metric(&upper, "p", Platform::X, "2025-01-01"));
        prop_assert_ne!(primary_key(&none, &a), primary_key(&none, &b));
        // ElectroDB's default casing merges them: the reason the contract is `casing: "none"`.
        prop_assert_eq!(primary_key(&lower, &a), primary_key(&lower, &b));
    }

    #[test]
    fn metric_keys_split_back_into_their_composites(
        (ws, post, platform, date) in (workspace(), item_id(), platform(), day()),
    ) {
        let (pk, sk) = primary_key(&KeyCodec::new(Casing::None), &metric(&ws, &post, platform, &date));
        let ws_back = pk.strip_prefix("$creatoros#workspaceId_").unwrap();
        prop_assert_eq!(ws_back, ws.as_str());
        let parts: Vec<&str> = sk.split('#').collect();
        prop_assert_eq!(parts.len(), 4, "{}", sk);
        prop_assert_eq!(parts[1].strip_prefix("postId_"), Some(post.as_str()));
        prop_assert_eq!(parts[2].strip_prefix("platform_"), Some(platform.as_str()));
        prop_assert_eq!(parts[3].strip_prefix("date_"), Some(date.as_str()));
    }

    #[test]
    fn entities_of_different_kinds_never_share_a_primary_key(
        ws in workspace(), id in item_id(), d in day(),
    ) {
        let codec = KeyCodec::new(Casing::None);
        let month = &d[..7];
        let insight: Insight = serde_json::from_value(json!({
            "workspaceId": ws, "insightId": id, "month": month, "kind": "k", "severity": "info"
        })).unwrap();
        let task: Task = serde_json::from_value(json!({
            "workspaceId": ws, "taskId": id, "month": month, "status": "open"
        })).unwrap();
        let import: Import = serde_json::from_value(json!({
            "workspaceId": ws, "importId": id, "month": month, "status": "processing",
            "bucket": "b", "key": "k", "sourceTime": "2025-01-01T00:00:00Z", "version": 1
        })).unwrap();
        let keys = [
            primary_key(&codec, &insight),
            primary_key(&codec, &task),
            primary_key(&codec, &import),
            primary_key(&codec, &metric(&ws, &id, Platform::X, &d)),
        ];
        for i in 0..keys.len() {
            for j in i + 1..keys.len() {
                prop_assert_ne!(&keys[i], &keys[j]);
            }
        }
    }

    #[test]
    fn invalid_ids_never_become_items(ws in hostile(), post in hostile()) {
        let valid = WorkspaceId::parse(&ws).is_ok() && ItemId::parse(&post).is_ok();
        let parsed = serde_json::from_value::<Metric>(json!({
            "workspaceId": ws, "postId": post, "platform": "x", "date": "2025-01-01", "month": "2025-01"
        }));
        prop_assert_eq!(parsed.is_ok(), valid);
        if let Ok(m) = parsed {
            // Whatever got through has no separator outside the DEMO# prefix.
            let (pk, sk) = primary_key(&KeyCodec::default(), &m);
            prop_assert_eq!(pk.matches('#').count(), 1 + usize::from(ws.starts_with("DEMO#")));
            prop_assert_eq!(sk.matches('#').count(), 3);
        } else {
            let err = parsed.unwrap_err().to_string();
            prop_assert!(err.starts_with("invalid "), "{}", err);
        }
    }

    #[test]
    fn only_real_days_parse(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}") {
        let real = time::Date::parse(&s, time::macros::format_description!("[year]-[month]-[day]")).is_ok();
        prop_assert_eq!(Day::parse(&s).is_ok(), real);
    }
}
