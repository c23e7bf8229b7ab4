//! Links export rows to the posts the team planned: a variant that records where it was published
//! (`publishedId` or `publishedUrl`) claims the rows that name that post; other rows keep a derived id.

use std::collections::HashMap;

use creatoros_formats::native::{native_key, NativeKey};
use creatoros_formats::rows::PostRef;
use creatoros_model::contract::schema::VARIANT;
use creatoros_model::contract::IndexName;
use creatoros_model::entities::Variant;
use creatoros_model::ids::{ItemId, WorkspaceId};
use creatoros_store::{RepoError, TableRepo};

/// Native post → planned post, for one workspace.
#[derive(Debug, Clone, Default)]
pub struct Linker {
    planned: HashMap<NativeKey, ItemId>,
}

impl Linker {
    /// Reads every variant of the workspace (one paginated query).
    pub async fn load(repo: &TableRepo, workspace: &WorkspaceId) -> Result<Self, RepoError> {
        let condition = repo.codec().query(
            &VARIANT,
            IndexName::Primary,
            &[("workspaceId", workspace.as_str())],
        )?;
        let variants: Vec<Variant> = repo.query(&condition).await?;
        Ok(Self::from_variants(&variants))
    }

    /// Builds the map from variants.
    pub fn from_variants(variants: &[Variant]) -> Self {
        let mut planned = HashMap::new();
        for v in variants {
            for text in [&v.published_id, &v.published_url].into_iter().flatten() {
                if let Some(key) = native_key(v.platform, text) {
                    planned.insert(key, v.post_id.clone());
                }
            }
        }
        Self { planned }
    }

    /// The post id a row's metric is stored under, and whether a planned post claimed it.
    pub fn resolve(&self, post: &PostRef) -> (ItemId, bool) {
        match post {
            PostRef::App(id) => (id.clone(), true),
            PostRef::Native { key, derived } => match self.planned.get(key) {
                Some(id) => (id.clone(), true),
                None => (derived.clone(), false),
            },
        }
    }

    /// Planned posts known.
    pub fn len(&self) -> usize {
        self.planned.len()
    }

    /// True when no variant records where it was published.
    pub fn is_empty(&self) -> bool {
        self.planned.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use creatoros_model::entities::Platform;

    fn variant(post: &str, platform: &str, id: Option<&str>, url: Option<&str>) -> Variant {
        serde_json::from_value(serde_json::json!({
            "workspaceId": "ws", "postId": post, "platform": platform, "month": "2026-10",
            "publishedId": id, "publishedUrl": url
        }))
        .unwrap()
    }

    #[test]
    fn a_variant_claims_rows_by_id_or_link() {
        let linker = Linker::from_variants(&[
            variant("post-launch", "x", Some("1849000000000000001"), None),
            variant(
                "post-launch",
                "linkedin",
                None,
                Some("https://www.linkedin.com/feed/update/urn:li:activity:7250000000000000001/"),
            ),
        ]);
        let row = |p: Platform, id: &str| {
            let key = native_key(p, id).unwrap();
            PostRef::Native {
                derived: key.derived_post_id(),
                key,
            }
        };
        assert_eq!(
            linker
                .resolve(&row(
                    Platform::X,
                    "https://x.com/a/status/1849000000000000001"
                ))
                .0
                .as_str(),
            "post-launch"
        );
        assert_eq!(
            linker.resolve(&row(
                Platform::Linkedin,
                "urn:li:activity:7250000000000000001"
            )),
            ("post-launch".parse().unwrap(), true)
        );
        assert_eq!(
            linker.resolve(&row(Platform::X, "1849000000000000777")),
            ("x-1849000000000000777".parse().unwrap(), false)
        );
    }
}
