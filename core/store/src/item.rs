//! Items between the model and the SDK: the model holds `serde_dynamo`'s attribute values (so it needs no AWS
//! crate), requests and responses hold the SDK's. A conversion moves each value; nothing is re-encoded.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue as SdkValue;
use creatoros_model::contract::Item;

/// An item as the SDK's requests and responses hold it.
pub type SdkItem = HashMap<String, SdkValue>;

/// A model item for an SDK request.
pub fn to_sdk(item: Item) -> SdkItem {
    item.into_iter().map(|(k, v)| (k, v.into())).collect()
}

/// An SDK response's item for the model.
pub fn from_sdk(item: SdkItem) -> Item {
    item.into_iter().map(|(k, v)| (k, v.into())).collect()
}

#[cfg(test)]
mod tests {
    use creatoros_model::contract::AttributeValue;

    use super::*;

    #[test]
    fn conversions_keep_every_value() {
        let item: Item = [
            ("s", AttributeValue::S("a".into())),
            ("n", AttributeValue::N("1.5".into())),
            ("b", AttributeValue::Bool(true)),
            ("ss", AttributeValue::Ss(vec!["x".into(), "y".into()])),
            (
                "m",
                AttributeValue::M(HashMap::from([(
                    "l".to_owned(),
                    AttributeValue::L(vec![AttributeValue::Null(true)]),
                )])),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let sdk = to_sdk(item.clone());
        assert_eq!(sdk["n"], SdkValue::N("1.5".into()));
        assert_eq!(sdk["ss"], SdkValue::Ss(vec!["x".into(), "y".into()]));
        assert_eq!(from_sdk(sdk), item);
    }
}
