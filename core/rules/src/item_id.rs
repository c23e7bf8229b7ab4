//! Deterministic ids for insights and tasks: kind, subject and month, so a re-derivation finds its own items and a
//! user's task keeps its identity across derivations.

use creatoros_model::ids::short_hash;
use creatoros_model::ids::ItemId;

/// `<kind>-<subject>-<month>` with anything outside `[A-Za-z0-9_-]` replaced by `-`; ids that would exceed 128
/// characters keep a readable head and end in a hash of the whole.
pub fn id(kind: &str, subject: &str, month: &str) -> ItemId {
    let raw = format!("{kind}-{subject}-{month}");
    let clean: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let id = if clean.len() <= 128 {
        clean
    } else {
        format!("{}-{}", &clean[..100], short_hash(&raw))
    };
    ItemId::parse(id).expect("only id characters, at most 128")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_clean_and_bounded() {
        assert_eq!(
            id("outlier_post", "post-launch-x", "2026-07").as_str(),
            "outlier_post-post-launch-x-2026-07"
        );
        assert_eq!(
            id("trend", "x engagement", "2026-07").as_str(),
            "trend-x-engagement-2026-07"
        );
        let long = id("outlier_post", &"p".repeat(128), "2026-07");
        assert_eq!(long.as_str().len(), 117);
        assert_eq!(long, id("outlier_post", &"p".repeat(128), "2026-07"));
    }
}
