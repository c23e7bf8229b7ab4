//! The table contract: entity schemas, the key codec and its errors.
//!
//! Items follow ElectroDB 3.x exactly so the app (TypeScript, ElectroDB) and the workers (Rust) read each
//! other's writes. `core/model/electrodb/model.mjs` is the same contract for the app; the interop tests prove it.

pub mod codec;
pub mod schema;

use std::collections::HashMap;

use serde::{de::DeserializeOwned, Serialize};

pub use serde_dynamo::AttributeValue;

pub use codec::{is_entity, Casing, KeyCodec, KeyCondition, SortCondition};
pub use schema::{EntitySchema, IndexName};

use crate::ids::InvalidValue;

/// A DynamoDB item in serde_dynamo's own attribute values: the model needs no SDK; `creatoros-store` converts at
/// the request.
pub type Item = HashMap<String, AttributeValue>;

/// A typed entity of the table. Ids are validated newtypes, so a value of this type can always be keyed.
pub trait Entity: Serialize + DeserializeOwned + Send + Sync {
    /// Its schema (name, version, indexes, attributes).
    const SCHEMA: &'static EntitySchema;

    /// Invariants that span fields (a metric's month is its date's month, numbers are finite); called before
    /// every write.
    fn check(&self) -> Result<(), ContractError> {
        Ok(())
    }

    /// The entity's own attributes (no keys, no markers), as serde writes them. Entities written in bulk
    /// override this with a direct build into a presized map; a property test holds each override to serde.
    fn attributes(&self) -> Result<Item, ContractError> {
        serde_dynamo::to_item(self).map_err(|source| ContractError::Serialize {
            entity: Self::SCHEMA.name,
            source,
        })
    }
}

/// An entity whose items carry an optimistic-lock `version`.
pub trait Versioned: Entity {
    /// The version this value was read at.
    fn version(&self) -> u64;
    /// Sets the version (after a successful write).
    fn set_version(&mut self, version: u64);
}

/// An item that does not fit the contract. Never helped by a retry.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// An id or calendar value broke its rule.
    #[error(transparent)]
    InvalidValue(#[from] InvalidValue),
    /// A required attribute or key composite is absent.
    #[error("{entity} is missing required attribute {attribute}")]
    MissingAttribute {
        /// Entity name.
        entity: &'static str,
        /// Attribute name.
        attribute: &'static str,
    },
    /// A key composite holds a type that cannot be part of a key.
    #[error("{entity} attribute {attribute} cannot be a key composite: it is {found}")]
    CompositeType {
        /// Entity name.
        entity: &'static str,
        /// Attribute name.
        attribute: String,
        /// What was found instead of a string or number.
        found: &'static str,
    },
    /// A query named an attribute that is not a composite of the index.
    #[error("{attribute} is not a key composite of {entity} on index {index}")]
    NotAComposite {
        /// Entity name.
        entity: &'static str,
        /// Index label.
        index: &'static str,
        /// The attribute given.
        attribute: String,
    },
    /// The entity has no access pattern on that index.
    #[error("{entity} has no access pattern on index {index}")]
    NoSuchIndex {
        /// Entity name.
        entity: &'static str,
        /// Index label.
        index: &'static str,
    },
    /// A cross-field invariant does not hold.
    #[error("{entity} is inconsistent: {reason}")]
    Inconsistent {
        /// Entity name.
        entity: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The item is of another entity (or lacks the markers).
    #[error("item is not a {expected} (its entity marker is {found:?})")]
    NotThisEntity {
        /// The entity asked for.
        expected: &'static str,
        /// The `__edb_e__` found.
        found: Option<String>,
    },
    /// The typed value could not be written as attributes.
    #[error("cannot serialize {entity}: {source}")]
    Serialize {
        /// Entity name.
        entity: &'static str,
        /// serde_dynamo's reason.
        source: serde_dynamo::Error,
    },
    /// The item's attributes do not fit the typed entity.
    #[error("cannot decode {entity}: {source}")]
    Decode {
        /// Entity name.
        entity: &'static str,
        /// serde_dynamo's reason (names the field).
        source: serde_dynamo::Error,
    },
}
