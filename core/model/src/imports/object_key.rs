//! Which workspace an uploaded object belongs to: decided by its key alone, never by its contents.
//!
//! Uploads live at `imports/<workspaceId>/<file>`. S3 notifications carry the key URL-encoded (a space as `+`,
//! other bytes as `%XX`; moto also writes `/` as `%2F`), so a notification key is decoded exactly once; keys from
//! `reingest` commands are already plain. The workspace segment must be a valid [`WorkspaceId`], which excludes
//! `.`, `%`, `/` and spaces, so `imports/../B/x.csv`, `imports/A%2F..%2FB/x.csv` (a literal `%2F` in the key) and
//! friends are refused rather than interpreted.

use percent_encoding::percent_decode_str;

use crate::ids::WorkspaceId;

/// The prefix every ingested key starts with.
pub const IMPORTS_PREFIX: &str = "imports/";
/// The prefix of the rejected-rows files the ingest worker writes (`rejects/<workspaceId>/<importId>…`).
pub const REJECTS_PREFIX: &str = "rejects/";

/// The key prefixes under which a workspace's objects live: its uploads and its rejects files.
pub fn workspace_prefixes(workspace: &WorkspaceId) -> [String; 2] {
    [IMPORTS_PREFIX, REJECTS_PREFIX].map(|p| format!("{p}{workspace}/"))
}

/// An object key that cannot be ingested. Permanent: the same key never becomes valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The notification key is not valid percent-encoding of UTF-8.
    #[error("object key {0:?} is not valid URL-encoded UTF-8")]
    Encoding(String),
    /// The key is outside `imports/<workspace>/<file>`.
    #[error("object key {0:?} is not under imports/<workspaceId>/<file>")]
    Layout(String),
    /// The workspace segment is not a valid workspace id.
    #[error("object key {key:?}: {reason}")]
    Workspace {
        /// The decoded key.
        key: String,
        /// Why the segment was refused.
        reason: String,
    },
}

/// Decodes a key as S3 writes it into event notifications: `+` is a space, `%XX` a byte.
pub fn decode_notification_key(encoded: &str) -> Result<String, KeyError> {
    let plus_as_space = encoded.replace('+', " ");
    percent_decode_str(&plus_as_space)
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|_| KeyError::Encoding(encoded.to_owned()))
}

/// The workspace named by a plain (decoded) key `imports/<workspaceId>/<file>`.
pub fn workspace_of(key: &str) -> Result<WorkspaceId, KeyError> {
    let rest = key
        .strip_prefix(IMPORTS_PREFIX)
        .ok_or_else(|| KeyError::Layout(key.to_owned()))?;
    let (segment, file) = rest
        .split_once('/')
        .ok_or_else(|| KeyError::Layout(key.to_owned()))?;
    if file.is_empty() || file.ends_with('/') {
        return Err(KeyError::Layout(key.to_owned()));
    }
    WorkspaceId::parse(segment).map_err(|e| KeyError::Workspace {
        key: key.to_owned(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(encoded: &str) -> Result<String, KeyError> {
        workspace_of(&decode_notification_key(encoded)?).map(|w| w.to_string())
    }

    #[test]
    fn plus_is_a_space_in_notification_keys() {
        assert_eq!(
            decode_notification_key("imports/ws1/March+report.csv").unwrap(),
            "imports/ws1/March report.csv"
        );
        assert_eq!(ws("imports/ws1/March+report.csv").unwrap(), "ws1");
    }

    #[test]
    fn moto_encoded_slashes_decode_once() {
        assert_eq!(ws("imports%2Fuser_2abc%2Fx.csv").unwrap(), "user_2abc");
    }

    #[test]
    fn the_demo_workspace_hash_arrives_encoded() {
        assert_eq!(ws("imports/DEMO%23judge/posts.csv").unwrap(), "DEMO#judge");
    }

    #[test]
    fn special_characters_in_the_file_name_are_fine() {
        assert_eq!(
            ws("imports/ws1/%E5%B0%8F%E7%BA%A2%E4%B9%A6+%281%29.csv").unwrap(),
            "ws1"
        );
    }

    #[test]
    fn dot_segments_and_encoded_traversal_are_refused() {
        assert!(matches!(
            ws("imports/../B/x.csv"),
            Err(KeyError::Workspace { .. })
        ));
        assert!(matches!(
            ws("imports/./x.csv"),
            Err(KeyError::Workspace { .. })
        ));
        // A key that literally contains %2F: S3 encodes its '%' as %25.
        assert!(matches!(
            ws("imports/A%252F..%252FB/x.csv"),
            Err(KeyError::Workspace { .. })
        ));
        assert!(matches!(
            ws("imports/A+B/x.csv"),
            Err(KeyError::Workspace { .. })
        ));
    }

    #[test]
    fn keys_outside_imports_are_refused() {
        for key in [
            "rejects/ws1/x.csv",
            "imports/ws1",
            "imports/ws1/",
            "imports//x.csv",
            "x.csv",
            "Imports/ws1/x.csv",
        ] {
            assert!(workspace_of(key).is_err(), "{key}");
        }
        assert!(matches!(
            decode_notification_key("imports/%FF/x"),
            Err(KeyError::Encoding(_))
        ));
    }
}
