//! The one place that builds DynamoDB keys: items, primary keys and query key conditions in ElectroDB 3.x layout.
//!
//! Layout (facts from ElectroDB 3.9.3, pinned by `tests/fixtures/electrodb/vectors.json`):
//! - partition key `$creatoros` then `#<attribute>_<value>` for each composite;
//! - sort key `$<entity>_<version>` then the same pairs (just the prefix when there are no composites);
//! - no escaping of `#`, `$` or `_` (hence [`crate::ids`]); numbers as JavaScript's `String(n)`, padded where the
//!   model declares padding; under [`Casing::Lower`] the whole assembled key is lower-cased, labels included;
//! - every item carries `__edb_e__` and `__edb_v__` as strings, or ElectroDB's reads silently skip it.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_dynamo::AttributeValue;

use super::schema::{
    AttrKind, EntitySchema, IndexName, IndexSchema, ENTITY_MARKER, SERVICE, VERSION_MARKER,
};
use super::{ContractError, Entity, Item};

/// How keys are cased, per ElectroDB's index option `casing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Casing {
    /// `casing: "none"`: keys verbatim. The contract: tenants whose ids differ only in case stay apart.
    #[default]
    None,
    /// ElectroDB's default: the whole key lower-cased (JavaScript `toLowerCase`, full Unicode).
    Lower,
}

impl std::str::FromStr for Casing {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(Casing::None),
            "lower" | "default" => Ok(Casing::Lower),
            other => Err(format!(
                "unknown key casing {other:?}: expected \"none\" or \"lower\""
            )),
        }
    }
}

/// Comparison on the sort key of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortCondition {
    /// `#sk1 = :sk1`: every sort composite was given.
    Equals(String),
    /// `begins_with(#sk1, :sk1)`: a prefix of the sort key.
    BeginsWith(String),
}

/// A query's key condition on one index, ready for `Query` (values already cased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCondition {
    /// The index the condition applies to.
    pub index: IndexName,
    /// Partition key value.
    pub pk: String,
    /// Sort key comparison.
    pub sk: SortCondition,
}

impl KeyCondition {
    /// The `KeyConditionExpression`, worded as ElectroDB words it.
    pub fn expression(&self) -> &'static str {
        match self.sk {
            SortCondition::Equals(_) => "#pk = :pk and #sk1 = :sk1",
            SortCondition::BeginsWith(_) => "#pk = :pk and begins_with(#sk1, :sk1)",
        }
    }

    /// `ExpressionAttributeNames` for [`Self::expression`].
    pub fn names(&self) -> HashMap<String, String> {
        HashMap::from([
            ("#pk".to_owned(), self.index.pk_field().to_owned()),
            ("#sk1".to_owned(), self.index.sk_field().to_owned()),
        ])
    }

    /// `ExpressionAttributeValues` for [`Self::expression`].
    pub fn values(&self) -> HashMap<String, AttributeValue> {
        let sk = match &self.sk {
            SortCondition::Equals(v) | SortCondition::BeginsWith(v) => v.clone(),
        };
        HashMap::from([
            (":pk".to_owned(), AttributeValue::S(self.pk.clone())),
            (":sk1".to_owned(), AttributeValue::S(sk)),
        ])
    }
}

/// Builds keys and items for one key casing.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyCodec {
    casing: Casing,
}

impl KeyCodec {
    /// A codec for `casing`.
    pub fn new(casing: Casing) -> Self {
        Self { casing }
    }

    /// The casing this codec writes.
    pub fn casing(&self) -> Casing {
        self.casing
    }

    /// A typed entity as a complete item: attributes, every index's keys, and the markers.
    pub fn encode<E: Entity>(&self, entity: &E) -> Result<Item, ContractError> {
        entity.check()?;
        self.encode_attributes(E::SCHEMA, entity.attributes()?)
    }

    /// Adds keys and markers to plain attributes, as ElectroDB's `put` does. Checks required attributes and
    /// composite shapes, not id rules: typed entities are the validated path.
    pub fn encode_attributes(
        &self,
        schema: &EntitySchema,
        mut item: Item,
    ) -> Result<Item, ContractError> {
        for a in schema.attributes.iter().filter(|a| a.required) {
            if !item.contains_key(a.name) {
                return Err(ContractError::MissingAttribute {
                    entity: schema.name,
                    attribute: a.name,
                });
            }
        }
        let keys = self.keys(schema, &item)?;
        item.reserve(keys.len() + 2);
        for (field, value) in keys {
            item.insert(field.to_owned(), AttributeValue::S(value));
        }
        item.insert(
            ENTITY_MARKER.to_owned(),
            AttributeValue::S(schema.name.to_owned()),
        );
        item.insert(
            VERSION_MARKER.to_owned(),
            AttributeValue::S(schema.version.to_owned()),
        );
        Ok(item)
    }

    /// The key attributes (`pk`, `sk`, `gsi1pk`, ...) of every index the entity appears in.
    pub fn keys(
        &self,
        schema: &EntitySchema,
        item: &Item,
    ) -> Result<Vec<(&'static str, String)>, ContractError> {
        let mut out = Vec::with_capacity(schema.indexes.len() * 2);
        for index in schema.indexes {
            let lookup = |name: &str| composite_of(schema, name, item.get(name));
            out.push((
                index.index.pk_field(),
                self.case(partition_key(index, lookup)?),
            ));
            out.push((
                index.index.sk_field(),
                self.case(sort_key(schema, index, lookup)?),
            ));
        }
        Ok(out)
    }

    /// The `pk`/`sk` of an item, for `GetItem`, `DeleteItem` and conditions.
    pub fn primary_key(
        &self,
        schema: &EntitySchema,
        composites: &[(&str, &str)],
    ) -> Result<Item, ContractError> {
        let index = index_of(schema, IndexName::Primary)?;
        let lookup = |name: &str| given(schema, index, composites, name);
        Ok(HashMap::from([
            (
                "pk".to_owned(),
                AttributeValue::S(self.case(partition_key(index, lookup)?)),
            ),
            (
                "sk".to_owned(),
                AttributeValue::S(self.case(sort_key(schema, index, lookup)?)),
            ),
        ]))
    }

    /// The key condition ElectroDB's `entity.query.<accessPattern>(composites)` sends: every partition
    /// composite is required; sort composites are taken in order up to the first missing one. All given: `=`;
    /// otherwise `begins_with` up to and including the label of the first missing composite.
    pub fn query(
        &self,
        schema: &EntitySchema,
        index: IndexName,
        composites: &[(&str, &str)],
    ) -> Result<KeyCondition, ContractError> {
        let ix = index_of(schema, index)?;
        for (name, _) in composites {
            if !ix.pk.contains(name) && !ix.sk.contains(name) {
                return Err(ContractError::NotAComposite {
                    entity: schema.name,
                    index: index.label(),
                    attribute: name.to_string(),
                });
            }
        }
        let lookup = |name: &str| given(schema, ix, composites, name);
        let pk = self.case(partition_key(ix, lookup)?);
        let mut sk = sort_prefix(schema);
        let mut complete = true;
        for name in ix.sk {
            sk.push('#');
            sk.push_str(name);
            sk.push('_');
            match lookup(name) {
                Ok(value) => sk.push_str(&value),
                Err(ContractError::MissingAttribute { .. }) => {
                    complete = false;
                    break;
                }
                Err(other) => return Err(other),
            }
        }
        let sk = self.case(sk);
        Ok(KeyCondition {
            index,
            pk,
            sk: if complete {
                SortCondition::Equals(sk)
            } else {
                SortCondition::BeginsWith(sk)
            },
        })
    }

    /// The primary partition key every item of `workspace` shares: each entity's primary index is partitioned by
    /// `workspaceId` alone (a schema test holds that), so one query of this partition reads the whole workspace.
    pub fn workspace_partition(&self, workspace: &crate::ids::WorkspaceId) -> String {
        let primary = super::schema::PROFILE
            .index(IndexName::Primary)
            .expect("every entity has a primary index");
        let key = partition_key(primary, |_| Ok(Cow::Borrowed(workspace.as_str())))
            .expect("a workspace id is a valid composite");
        self.case(key)
    }

    /// ElectroDB's `.begins({attribute: prefix})` after the given composites: the sort key up to `attribute`'s
    /// label followed by the raw prefix, e.g. the metrics of one platform whose date begins with `2025-03`.
    pub fn query_begins(
        &self,
        schema: &EntitySchema,
        index: IndexName,
        composites: &[(&str, &str)],
        attribute: &str,
        prefix: &str,
    ) -> Result<KeyCondition, ContractError> {
        let mut condition = self.query(schema, index, composites)?;
        let wanted = self.case(format!("#{attribute}_"));
        match &condition.sk {
            SortCondition::BeginsWith(sk) if sk.ends_with(&wanted) => {
                condition.sk =
                    SortCondition::BeginsWith(format!("{sk}{}", self.case(prefix.to_owned())));
                Ok(condition)
            }
            _ => Err(ContractError::NotAComposite {
                entity: schema.name,
                index: index.label(),
                attribute: format!("{attribute} (not the next sort composite)"),
            }),
        }
    }

    /// Decodes an item into a typed entity, refusing items of another entity (as ElectroDB does).
    pub fn decode<E: Entity>(&self, item: Item) -> Result<E, ContractError> {
        let found = match item.get(ENTITY_MARKER) {
            Some(AttributeValue::S(name)) => Some(name.as_str()),
            _ => None,
        };
        let version = match item.get(VERSION_MARKER) {
            Some(AttributeValue::S(v)) => Some(v.as_str()),
            _ => None,
        };
        if found != Some(E::SCHEMA.name) || version != Some(E::SCHEMA.version) {
            return Err(ContractError::NotThisEntity {
                expected: E::SCHEMA.name,
                found: found.map(str::to_owned),
            });
        }
        serde_dynamo::from_item(item).map_err(|source| ContractError::Decode {
            entity: E::SCHEMA.name,
            source,
        })
    }

    fn case(&self, key: String) -> String {
        match self.casing {
            Casing::None => key,
            // Rust's `to_lowercase` applies the same Unicode mappings as JavaScript's, final sigma included;
            // the vectors pin the corner cases.
            Casing::Lower => key.to_lowercase(),
        }
    }
}

/// True when `item` carries the markers of `schema` (ElectroDB's ownership check).
pub fn is_entity(schema: &EntitySchema, item: &Item) -> bool {
    matches!(item.get(ENTITY_MARKER), Some(AttributeValue::S(e)) if e == schema.name)
        && matches!(item.get(VERSION_MARKER), Some(AttributeValue::S(v)) if v == schema.version)
}

fn index_of(schema: &EntitySchema, index: IndexName) -> Result<&IndexSchema, ContractError> {
    schema.index(index).ok_or(ContractError::NoSuchIndex {
        entity: schema.name,
        index: index.label(),
    })
}

/// `$<entity>_<version>`, in a string with room for the composites that follow.
fn sort_prefix(schema: &EntitySchema) -> String {
    let mut key = String::with_capacity(KEY_CAPACITY);
    key.push('$');
    key.push_str(schema.name);
    key.push('_');
    key.push_str(schema.version);
    key
}

/// Room for a key of typical composites, so assembling one rarely reallocates.
const KEY_CAPACITY: usize = 96;

fn partition_key<'a>(
    index: &IndexSchema,
    lookup: impl Fn(&str) -> Result<Cow<'a, str>, ContractError>,
) -> Result<String, ContractError> {
    let mut key = String::with_capacity(KEY_CAPACITY);
    key.push('$');
    key.push_str(SERVICE);
    for name in index.pk {
        push_pair(&mut key, name, &lookup(name)?);
    }
    Ok(key)
}

fn sort_key<'a>(
    schema: &EntitySchema,
    index: &IndexSchema,
    lookup: impl Fn(&str) -> Result<Cow<'a, str>, ContractError>,
) -> Result<String, ContractError> {
    let mut key = sort_prefix(schema);
    for name in index.sk {
        push_pair(&mut key, name, &lookup(name)?);
    }
    Ok(key)
}

fn push_pair(key: &mut String, name: &str, value: &str) {
    key.push('#');
    key.push_str(name);
    key.push('_');
    key.push_str(value);
}

/// A composite as it appears inside a key, from a stored attribute (borrowed: strings go into keys as they are).
fn composite_of<'a>(
    schema: &EntitySchema,
    name: &str,
    value: Option<&'a AttributeValue>,
) -> Result<Cow<'a, str>, ContractError> {
    let missing = || ContractError::MissingAttribute {
        entity: schema.name,
        attribute: schema.attribute(name).map_or("?", |a| a.name),
    };
    match value.ok_or_else(missing)? {
        AttributeValue::S(s) => Ok(Cow::Borrowed(s)),
        AttributeValue::N(n) => number_composite(schema, name, n).map(Cow::Owned),
        other => Err(ContractError::CompositeType {
            entity: schema.name,
            attribute: name.to_owned(),
            found: attribute_type(other),
        }),
    }
}

/// A composite given as text to a query: numbers are formatted and padded as they are in stored keys.
fn given<'a>(
    schema: &EntitySchema,
    index: &IndexSchema,
    composites: &[(&str, &'a str)],
    name: &str,
) -> Result<Cow<'a, str>, ContractError> {
    let missing = || ContractError::MissingAttribute {
        entity: schema.name,
        attribute: index
            .pk
            .iter()
            .chain(index.sk)
            .find(|n| **n == name)
            .copied()
            .unwrap_or("?"),
    };
    let value = composites
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
        .ok_or_else(missing)?;
    match schema.attribute(name).map(|a| a.kind) {
        Some(AttrKind::Number) => number_composite(schema, name, value).map(Cow::Owned),
        _ => Ok(Cow::Borrowed(value)),
    }
}

/// JavaScript's `String(n)` of a DynamoDB number, then the model's padding.
fn number_composite(schema: &EntitySchema, name: &str, n: &str) -> Result<String, ContractError> {
    let parsed: f64 = n
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| ContractError::CompositeType {
            entity: schema.name,
            attribute: name.to_owned(),
            found: "a number that is not finite",
        })?;
    let mut text = ryu_js::Buffer::new().format(parsed).to_owned();
    if let Some(padding) = schema.attribute(name).and_then(|a| a.padding) {
        let short = padding.length.saturating_sub(text.chars().count());
        text = std::iter::repeat_n(padding.fill, short)
            .chain(text.chars())
            .collect();
    }
    Ok(text)
}

fn attribute_type(value: &AttributeValue) -> &'static str {
    match value {
        AttributeValue::B(_) => "binary",
        AttributeValue::Bool(_) => "boolean",
        AttributeValue::Bs(_) => "binary set",
        AttributeValue::L(_) => "list",
        AttributeValue::M(_) => "map",
        AttributeValue::Ns(_) => "number set",
        AttributeValue::Null(_) => "null",
        AttributeValue::Ss(_) => "string set",
        _ => "an unknown type",
    }
}

#[cfg(test)]
mod partition_tests {
    use super::*;
    use crate::contract::schema::ALL_ENTITIES;

    #[test]
    fn every_entity_of_a_workspace_lives_in_its_one_partition() {
        for entity in ALL_ENTITIES {
            let primary = entity.index(IndexName::Primary).unwrap();
            assert_eq!(primary.pk, ["workspaceId"], "{}", entity.name);
        }
        let workspace: crate::ids::WorkspaceId = "DEMO#Judge".parse().unwrap();
        for casing in [Casing::None, Casing::Lower] {
            let codec = KeyCodec::new(casing);
            let q = codec
                .query(
                    &crate::contract::schema::TASK,
                    IndexName::Primary,
                    &[("workspaceId", "DEMO#Judge")],
                )
                .unwrap();
            assert_eq!(codec.workspace_partition(&workspace), q.pk);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::schema::{DRAFT, METRIC, PLAN, POST};
    use super::*;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.to_owned())
    }

    #[test]
    fn padding_applies_inside_keys_only() {
        let item: Item = [
            ("workspaceId", s("w")),
            ("postId", s("p")),
            ("platform", s("x")),
            ("draftVersion", AttributeValue::N("7".into())),
            ("month", s("2025-01")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let out = KeyCodec::default().encode_attributes(&DRAFT, item).unwrap();
        assert_eq!(
            out["sk"],
            s("$draft_1#postId_p#platform_x#draftVersion_0007")
        );
        assert_eq!(out["draftVersion"], AttributeValue::N("7".into()));
    }

    #[test]
    fn partial_sort_composites_query_up_to_the_next_label() {
        let codec = KeyCodec::default();
        let q = codec
            .query(
                &METRIC,
                IndexName::Gsi1,
                &[
                    ("workspaceId", "w"),
                    ("month", "2025-03"),
                    ("date", "2025-03-02"),
                ],
            )
            .unwrap();
        assert_eq!(
            q.sk,
            SortCondition::BeginsWith("$metric_1#date_2025-03-02#postId_".into())
        );
        assert_eq!(q.expression(), "#pk = :pk and begins_with(#sk1, :sk1)");
    }

    #[test]
    fn begins_appends_a_raw_prefix_after_the_label() {
        let q = KeyCodec::default()
            .query_begins(
                &METRIC,
                IndexName::Gsi2,
                &[("workspaceId", "w"), ("platform", "x")],
                "date",
                "2025-03",
            )
            .unwrap();
        assert_eq!(q.pk, "$creatoros#workspaceId_w#platform_x");
        assert_eq!(
            q.sk,
            SortCondition::BeginsWith("$metric_1#date_2025-03".into())
        );
    }

    #[test]
    fn query_without_a_partition_composite_is_refused() {
        let err = KeyCodec::default()
            .query(&POST, IndexName::Gsi1, &[("workspaceId", "w")])
            .unwrap_err();
        assert_eq!(err.to_string(), "post is missing required attribute month");
    }

    #[test]
    fn query_naming_a_foreign_attribute_is_refused() {
        let err = KeyCodec::default()
            .query(
                &PLAN,
                IndexName::Primary,
                &[("workspaceId", "w"), ("postId", "p")],
            )
            .unwrap_err();
        assert!(matches!(err, ContractError::NotAComposite { .. }), "{err}");
    }

    #[test]
    fn composites_of_the_wrong_type_are_refused() {
        let item: Item = [
            ("workspaceId", AttributeValue::Bool(true)),
            ("month", s("2025-01")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let err = KeyCodec::default()
            .encode_attributes(&PLAN, item)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "plan attribute workspaceId cannot be a key composite: it is boolean"
        );
    }

    #[test]
    fn lower_casing_lowers_labels_too() {
        let key = KeyCodec::new(Casing::Lower)
            .primary_key(&POST, &[("workspaceId", "Demo"), ("postId", "ΟΔΟΣ")])
            .unwrap();
        assert_eq!(key["pk"], s("$creatoros#workspaceid_demo"));
        // Word-final capital sigma lowers to final sigma, as in JavaScript.
        assert_eq!(key["sk"], s("$post_1#postid_οδο\u{3c2}"));
    }
}
