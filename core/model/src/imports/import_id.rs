//! Deterministic import ids: the same object (bucket, key, and version or ETag) always gets the same id, so
//! duplicate notifications find the import already done, and a changed object is a new import.

use crate::ids::short_hash;
use crate::ids::ItemId;

/// The import id of an object version: `imp-` and 16 hex characters of SHA-256 over its identity.
pub fn import_id(bucket: &str, key: &str, version: Option<&str>, etag: Option<&str>) -> ItemId {
    // ETags arrive with and without quotes depending on the API; strip them so both agree.
    let etag = etag.map(|e| e.trim_matches('"'));
    let identity = format!(
        "{bucket}\u{1f}{key}\u{1f}{}\u{1f}{}",
        version.unwrap_or(""),
        etag.unwrap_or("")
    );
    ItemId::parse(format!("imp-{}", short_hash(&identity))).expect("hex is an id")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_object_same_id_quotes_aside() {
        let a = import_id("b", "imports/w/x.csv", None, Some("\"abc\""));
        assert_eq!(a, import_id("b", "imports/w/x.csv", None, Some("abc")));
        assert_ne!(a, import_id("b", "imports/w/x.csv", None, Some("abd")));
        assert_ne!(a, import_id("b", "imports/w/y.csv", None, Some("abc")));
        assert_ne!(
            a,
            import_id("b", "imports/w/x.csv", Some("v2"), Some("abc"))
        );
        assert!(a.as_str().starts_with("imp-"));
    }
}
