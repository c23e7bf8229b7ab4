//! Every case ElectroDB 3.9.3 produced for the creatoros model, reproduced by the Rust codec:
//! the full item under ElectroDB's default casing, the keys under `casing: "none"`, the key condition of the
//! partition-only and fully specified query of every index under both casings, and the typed entities
//! (valid ids round-trip; ids that could forge a key segment are refused).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use creatoros_model::contract::schema::{entity_by_name, AttrKind, EntitySchema, IndexName};
use creatoros_model::contract::{Casing, ContractError, Entity, Item, KeyCodec, SortCondition};
use creatoros_model::entities::{Draft, Insight, Metric, Plan, Post, Profile, Task, Variant};
use serde_dynamo::AttributeValue;
use serde_json::Value;

const VECTORS: &str = include_str!("fixtures/electrodb/vectors.json");
const META: &str = include_str!("fixtures/electrodb/vectors-meta.json");

fn cases() -> Vec<Value> {
    serde_json::from_str::<Value>(VECTORS)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn schema_of(case: &Value) -> &'static EntitySchema {
    entity_by_name(case["entity"].as_str().unwrap()).unwrap()
}

/// DynamoDB JSON (`{"S": "x"}`) to an SDK attribute value.
fn attr(v: &Value) -> AttributeValue {
    let (kind, inner) = v.as_object().unwrap().iter().next().unwrap();
    match kind.as_str() {
        "S" => AttributeValue::S(inner.as_str().unwrap().to_owned()),
        "N" => AttributeValue::N(inner.as_str().unwrap().to_owned()),
        "BOOL" => AttributeValue::Bool(inner.as_bool().unwrap()),
        "NULL" => AttributeValue::Null(true),
        "SS" => AttributeValue::Ss(
            inner
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect(),
        ),
        "L" => AttributeValue::L(inner.as_array().unwrap().iter().map(attr).collect()),
        "M" => AttributeValue::M(item(inner)),
        other => panic!("unexpected DynamoDB JSON type {other}"),
    }
}

fn item(v: &Value) -> Item {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), attr(v)))
        .collect()
}

/// The case's input attributes as ElectroDB marshals them: sets declared in the model become `SS`.
/// The string inside an `S` value.
fn string(value: &AttributeValue) -> &str {
    match value {
        AttributeValue::S(s) => s,
        other => panic!("expected a string, found {other:?}"),
    }
}

fn input_item(case: &Value, schema: &EntitySchema) -> Item {
    let mut out: Item = serde_dynamo::to_item(&case["input"]).unwrap();
    for (name, value) in out.iter_mut() {
        if schema.attribute(name).map(|a| a.kind) == Some(AttrKind::StringSet) {
            if let AttributeValue::L(list) = value {
                let strings = list.iter().map(|v| string(v).to_owned()).collect();
                *value = AttributeValue::Ss(strings);
            }
        }
    }
    out
}

/// `query.byMonth({"workspaceId":"demo",...})` → the composites given to the query, as text.
fn composites_of_call(call: &str) -> Vec<(String, String)> {
    let json = &call[call.find('(').unwrap() + 1..call.rfind(')').unwrap()];
    let obj: serde_json::Map<String, Value> = serde_json::from_str(json).unwrap();
    obj.into_iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, text)
        })
        .collect()
}

fn index_named(label: &str) -> IndexName {
    IndexName::ALL
        .into_iter()
        .find(|i| i.label() == label)
        .unwrap()
}

#[test]
fn there_are_47_cases_covering_every_app_entity() {
    let cases = cases();
    assert_eq!(cases.len(), 47);
    let entities: BTreeSet<_> = cases
        .iter()
        .map(|c| c["entity"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(entities.len(), 8, "{entities:?}");
}

#[test]
fn full_items_match_under_default_casing() {
    let codec = KeyCodec::new(Casing::Lower);
    for case in cases() {
        let schema = schema_of(&case);
        let got = codec
            .encode_attributes(schema, input_item(&case, schema))
            .unwrap_or_else(|e| panic!("{}: {e}", case["id"]));
        let want = item(&case["expectedItem"]);
        assert_eq!(
            BTreeMap::from_iter(got.iter()),
            BTreeMap::from_iter(want.iter()),
            "case {}",
            case["id"]
        );
    }
}

#[test]
fn keys_match_under_casing_none() {
    let codec = KeyCodec::new(Casing::None);
    for case in cases() {
        let schema = schema_of(&case);
        let got: BTreeMap<String, String> = codec
            .keys(schema, &input_item(&case, schema))
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let want: BTreeMap<String, String> =
            serde_json::from_value(case["casingNone"]["keys"].clone()).unwrap();
        assert_eq!(got, want, "case {}", case["id"]);
    }
}

#[test]
fn query_key_conditions_match_for_every_index_and_both_casings() {
    let mut checked = 0;
    for case in cases() {
        let schema = schema_of(&case);
        for (label, query) in case["queries"].as_object().unwrap() {
            let index = index_named(label);
            for shape in ["partition", "full"] {
                let composites = composites_of_call(query[shape]["call"].as_str().unwrap());
                let given: Vec<(&str, &str)> = composites
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                for (casing, expected) in [
                    (Casing::Lower, &query[shape]["lowLevel"]),
                    (Casing::None, &case["casingNone"]["queries"][label][shape]),
                ] {
                    let got = KeyCodec::new(casing)
                        .query(schema, index, &given)
                        .unwrap_or_else(|e| panic!("{} {label} {shape}: {e}", case["id"]));
                    let what = format!("{} {label} {shape} {casing:?}", case["id"]);
                    assert_eq!(
                        got.expression(),
                        expected["KeyConditionExpression"],
                        "{what}"
                    );
                    let values = &expected["ExpressionAttributeValues"];
                    let text = |v: &Value| match v {
                        Value::Object(_) => string(&attr(v)).to_owned(),
                        other => other.as_str().unwrap().to_owned(),
                    };
                    assert_eq!(got.pk, text(&values[":pk"]), "{what}");
                    let sk = match &got.sk {
                        SortCondition::Equals(s) | SortCondition::BeginsWith(s) => s.clone(),
                    };
                    assert_eq!(sk, text(&values[":sk1"]), "{what}");
                    if casing == Casing::Lower {
                        let names: HashMap<String, String> =
                            serde_json::from_value(expected["ExpressionAttributeNames"].clone())
                                .unwrap();
                        assert_eq!(got.names(), names, "{what}");
                        assert_eq!(index.index_name(), expected["IndexName"].as_str(), "{what}");
                    }
                    checked += 1;
                }
            }
        }
    }
    // 47 cases, 2-3 indexes each, 2 query shapes, 2 casings.
    assert!(
        checked > 47 * 2 * 2 * 2,
        "only {checked} conditions checked"
    );
}

/// Cases whose ids the contract refuses because they could forge a key segment (or are not ids at all).
const REFUSED_BY_ID_RULES: &[&str] = &[
    // CJK, spaces, emoji or Unicode-cased ids: readable, but not `[A-Za-z0-9_-]`.
    "draft-rednote-chinese",
    "metric-rednote-chinese-post",
    "metric-required-only",
    "plan-spaces-newlines",
    "post-chinese",
    "post-emoji",
    "post-greek-final-sigma",
    "post-spaces",
    "post-special-casing",
    "profile-chinese",
    "task-chinese",
    "task-dismissed-spaces",
    "task-greek-id",
    "variant-rednote-chinese",
    // `#` or `$` in an id other than the DEMO# prefix: could forge a key segment.
    "insight-hash-id",
    "metric-x-bignum-float",
    "post-hash-ids",
    "post-injection",
    "variant-x-hash",
];

/// Deserializes the case input as `E`; if accepted, encodes it and decodes the expected item back.
fn typed<E: Entity + PartialEq + std::fmt::Debug>(case: &Value) -> Result<(), String> {
    let entity: E = serde_json::from_value(case["input"].clone()).map_err(|e| e.to_string())?;
    let codec = KeyCodec::new(Casing::Lower);
    let want = item(&case["expectedItem"]);
    let got = codec.encode(&entity).map_err(|e| e.to_string())?;
    assert_eq!(
        BTreeMap::from_iter(got.iter()),
        BTreeMap::from_iter(want.iter()),
        "typed case {}",
        case["id"]
    );
    let back: E = codec.decode(want).unwrap();
    assert_eq!(back, entity, "typed decode of case {}", case["id"]);
    Ok(())
}

#[test]
fn typed_entities_round_trip_valid_ids_and_refuse_forging_ones() {
    let mut refused = BTreeSet::new();
    for case in cases() {
        let result = match case["entity"].as_str().unwrap() {
            "profile" => typed::<Profile>(&case),
            "plan" => typed::<Plan>(&case),
            "post" => typed::<Post>(&case),
            "variant" => typed::<Variant>(&case),
            "draft" => typed::<Draft>(&case),
            "metric" => typed::<Metric>(&case),
            "insight" => typed::<Insight>(&case),
            "task" => typed::<Task>(&case),
            other => panic!("unknown entity {other}"),
        };
        if let Err(reason) = result {
            assert!(reason.starts_with("invalid "), "{}: {reason}", case["id"]);
            refused.insert(case["id"].as_str().unwrap().to_owned());
        }
    }
    let expected: BTreeSet<String> = REFUSED_BY_ID_RULES.iter().map(|s| s.to_string()).collect();
    assert_eq!(refused, expected);
}

/// Values the contract adds to an enum of the reference model, on purpose: a task the pipeline closes because its
/// insight is gone is `retired` (neither the user's `done` nor `dismissed`).
const EXTENDED_ENUMS: &[(&str, &[&str])] = &[("task.status", &["retired"])];

#[test]
fn schema_matches_electrodb_key_spec() {
    let meta: Value = serde_json::from_str(META).unwrap();
    let spec = &meta["keySpec"];
    assert_eq!(spec["service"], "creatoros");
    for (name, entity) in spec["entities"].as_object().unwrap() {
        let schema = entity_by_name(name).unwrap();
        assert_eq!(entity["version"], schema.version, "{name}");
        let indexes = entity["indexes"].as_object().unwrap();
        assert_eq!(indexes.len(), schema.indexes.len(), "{name}");
        for (label, ix) in indexes {
            let ours = schema.index(index_named(label)).unwrap();
            assert_eq!(ix["accessPattern"], ours.access_pattern, "{name} {label}");
            assert_eq!(ix["pkField"], ours.index.pk_field(), "{name} {label}");
            assert_eq!(ix["skField"], ours.index.sk_field(), "{name} {label}");
            assert_eq!(ix["pk"], serde_json::json!(ours.pk), "{name} {label}");
            assert_eq!(ix["sk"], serde_json::json!(ours.sk), "{name} {label}");
        }
        for (attr_name, a) in entity["attributes"].as_object().unwrap() {
            let ours = schema
                .attribute(attr_name)
                .unwrap_or_else(|| panic!("{name}.{attr_name}"));
            let kind = match ours.kind {
                AttrKind::String => "string",
                AttrKind::Number => "number",
                AttrKind::Enum(values) => {
                    let mut reference: Vec<String> =
                        serde_json::from_value(a["values"].clone()).unwrap();
                    let field = format!("{name}.{attr_name}");
                    if let Some((_, added)) = EXTENDED_ENUMS.iter().find(|(f, _)| *f == field) {
                        reference.extend(added.iter().map(|v| v.to_string()));
                    }
                    assert_eq!(reference, values, "{field}");
                    "enum"
                }
                AttrKind::List => "list",
                AttrKind::StringSet => "set",
                AttrKind::Map => "map",
            };
            assert_eq!(a["type"], kind, "{name}.{attr_name}");
            assert_eq!(
                a["required"].as_bool().unwrap_or(false),
                ours.required,
                "{name}.{attr_name}"
            );
            assert_eq!(
                a["padding"]["length"].as_u64(),
                ours.padding.map(|p| p.length as u64),
                "{name}.{attr_name}"
            );
        }
    }
}

#[test]
fn a_metric_whose_month_is_not_its_dates_month_is_refused() {
    let case = cases()
        .into_iter()
        .find(|c| c["id"] == "metric-linkedin-full")
        .unwrap();
    let mut input = case["input"].clone();
    input["month"] = Value::String("2024-12".into());
    let metric: Metric = serde_json::from_value(input).unwrap();
    let err = KeyCodec::default().encode(&metric).unwrap_err();
    assert!(matches!(err, ContractError::Inconsistent { .. }), "{err}");
}
