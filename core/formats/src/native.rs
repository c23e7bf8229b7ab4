//! The platform's own identity of a post, and the post id the pipeline stores for it.
//!
//! Exports name posts by tweet id, video id, LinkedIn URN or (Rednote) only title and publish time. The same
//! normaliser reads what the app records on a variant (`publishedId` / `publishedUrl`), so a row links to the
//! planned post whichever form either side used. Unplanned posts get a deterministic id derived from the native
//! one: `x-<tweet id>`, `yt-<video id>`, `li-<activity|share|ugcpost>-<number>`, `rn-<16 hex of SHA-256>`.

use creatoros_ids::Platform;
use creatoros_ids::{short_hash, ItemId};

use crate::dates::Timestamp;

/// A post as the platform knows it: the normalised key used for linking and deriving ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NativeKey {
    /// Platform.
    pub platform: Platform,
    /// Normalised id: digits for X, the 11-character video id for YouTube, `activity-123…` for LinkedIn, the
    /// normalised title for Rednote.
    pub key: String,
}

impl NativeKey {
    /// The id stored for a post nobody planned.
    pub fn derived_post_id(&self) -> ItemId {
        let id = match self.platform {
            Platform::X => format!("x-{}", self.key),
            Platform::Youtube => format!("yt-{}", self.key),
            Platform::Linkedin => format!("li-{}", self.key),
            Platform::Rednote => format!("rn-{}", short_hash(&self.key)),
        };
        ItemId::parse(id).expect("normalised native keys only hold id characters or are hashed")
    }
}

/// The native key in `text` (an id, a URN or a link), if it holds one for `platform`.
pub fn native_key(platform: Platform, text: &str) -> Option<NativeKey> {
    let text = text.trim();
    let key = match platform {
        Platform::X => x_status_id(text),
        Platform::Youtube => youtube_video_id(text),
        Platform::Linkedin => linkedin_urn(text),
        Platform::Rednote => rednote_title(text),
    }?;
    Some(NativeKey { platform, key })
}

/// Tweet ids: all digits, or the number after `/status/` in a link.
fn x_status_id(text: &str) -> Option<String> {
    let candidate = match text.find("/status/") {
        Some(i) => text[i + "/status/".len()..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap_or(""),
        // Legacy exports sometimes write ids as floats ("1.465e18" never, but "1465712230054432768.0" does occur).
        None => text.strip_suffix(".0").unwrap_or(text),
    };
    (!candidate.is_empty()
        && candidate.len() <= 20
        && candidate.bytes().all(|b| b.is_ascii_digit()))
    .then(|| candidate.to_owned())
}

/// Video ids: 11 characters of `[A-Za-z0-9_-]`, bare or inside a watch, short or youtu.be link.
fn youtube_video_id(text: &str) -> Option<String> {
    let is_id = |s: &str| {
        s.len() == 11
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if is_id(text) {
        return Some(text.to_owned());
    }
    for marker in ["v=", "youtu.be/", "/shorts/", "/embed/", "/live/"] {
        if let Some(i) = text.find(marker) {
            let rest = &text[i + marker.len()..];
            let id: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            if is_id(&id) {
                return Some(id);
            }
        }
    }
    None
}

/// LinkedIn: `urn:li:activity:<n>` (or `share`, `ugcPost`) anywhere, or `activity-<n>` in a post slug.
fn linkedin_urn(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    for kind in ["activity", "share", "ugcpost"] {
        for marker in [
            format!("urn:li:{kind}:"),
            format!("urn%3ali%3a{kind}%3a"),
            format!("{kind}-"),
        ] {
            if let Some(i) = lower.find(&marker) {
                let digits: String = lower[i + marker.len()..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                if digits.len() >= 6 && digits.len() <= 25 {
                    return Some(format!("{kind}-{digits}"));
                }
            }
        }
    }
    None
}

/// Rednote exports carry no id: the title, whitespace collapsed, is what both sides can agree on.
fn rednote_title(text: &str) -> Option<String> {
    let title = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!title.is_empty()).then_some(title)
}

/// Rednote's identity of a note in an export: title, first publish time (to the minute) and type. Hashed into the
/// derived id; the title alone is the link key (see [`native_key`]). A note exported without a title (Rednote
/// allows them) is known by its time and type alone, and cannot link to a planned post.
pub fn rednote_identity(title: &str, published: &Timestamp, kind: &str) -> (NativeKey, ItemId) {
    let at = published.minute_key();
    let key = native_key(Platform::Rednote, title).unwrap_or_else(|| NativeKey {
        platform: Platform::Rednote,
        key: format!("\u{1f}untitled {at}"),
    });
    let titled = rednote_title(title).unwrap_or_default();
    let id = ItemId::parse(format!(
        "rn-{}",
        short_hash(&format!("{titled}\u{1f}{at}\u{1f}{}", kind.trim()))
    ))
    .expect("hex is an id");
    (key, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: Platform, s: &str) -> Option<String> {
        native_key(p, s).map(|k| k.key)
    }

    #[test]
    fn x_ids_from_ids_floats_and_links() {
        assert_eq!(
            key(Platform::X, "1465712230054432768").as_deref(),
            Some("1465712230054432768")
        );
        assert_eq!(
            key(
                Platform::X,
                "https://twitter.com/rOpenSci/status/1465712230054432768"
            )
            .as_deref(),
            Some("1465712230054432768")
        );
        assert_eq!(
            key(
                Platform::X,
                "https://x.com/a/status/2077066290949097130?s=20"
            )
            .as_deref(),
            Some("2077066290949097130")
        );
        assert_eq!(key(Platform::X, "not an id"), None);
    }

    #[test]
    fn youtube_ids_trimmed_and_from_links() {
        assert_eq!(
            key(Platform::Youtube, " -jBLlV16Dko").as_deref(),
            Some("-jBLlV16Dko")
        );
        assert_eq!(
            key(
                Platform::Youtube,
                "https://www.youtube.com/watch?v=F3HVs95pagk&t=3"
            )
            .as_deref(),
            Some("F3HVs95pagk")
        );
        assert_eq!(
            key(Platform::Youtube, "https://youtu.be/F3HVs95pagk").as_deref(),
            Some("F3HVs95pagk")
        );
        assert_eq!(
            key(Platform::Youtube, "https://youtube.com/shorts/F3HVs95pagk").as_deref(),
            Some("F3HVs95pagk")
        );
        assert_eq!(key(Platform::Youtube, "#NAME?"), None);
    }

    #[test]
    fn linkedin_urns_in_links_and_slugs() {
        assert_eq!(
            key(
                Platform::Linkedin,
                "https://www.linkedin.com/feed/update/urn:li:activity:7351002233445566778/"
            )
            .as_deref(),
            Some("activity-7351002233445566778")
        );
        assert_eq!(
            key(Platform::Linkedin, "urn:li:ugcPost:7250000000000000001").as_deref(),
            Some("ugcpost-7250000000000000001")
        );
        assert_eq!(
            key(
                Platform::Linkedin,
                "https://www.linkedin.com/posts/jane_launch-activity-7351002233445566778-AbCd"
            )
            .as_deref(),
            Some("activity-7351002233445566778")
        );
    }

    #[test]
    fn derived_ids_are_valid_and_stable() {
        let x = native_key(Platform::X, "1465712230054432768").unwrap();
        assert_eq!(x.derived_post_id().as_str(), "x-1465712230054432768");
        let li = native_key(Platform::Linkedin, "urn:li:activity:7351002233445566778").unwrap();
        assert_eq!(
            li.derived_post_id().as_str(),
            "li-activity-7351002233445566778"
        );
        let at = |s: &str| {
            crate::dates::parse_timestamp(
                s,
                &crate::dates::DateRules::new(None, &"2026-11-30".parse().unwrap()),
            )
            .unwrap()
            .unwrap()
        };
        let (k1, id1) = rednote_identity("夏天  咖啡", &at("2026年07月14日19时32分08秒"), "图文");
        let (k2, id2) = rednote_identity("夏天 咖啡", &at("2026-07-14 19:32"), "图文");
        assert_eq!((k1, id1.clone()), (k2, id2));
        assert!(id1.as_str().starts_with("rn-") && id1.as_str().len() == 19);
        let (_, other) = rednote_identity("夏天 咖啡", &at("2026-07-14 19:32"), "视频");
        let (untitled, untitled_id) = rednote_identity("", &at("2026-07-14 19:32"), "图文");
        assert_ne!(untitled_id, id1);
        assert!(untitled.key.contains("untitled 2026-07-14 19:32"));
        assert_ne!(
            id1, other,
            "a video with the same title and time is another note"
        );
    }
}
