//! Engagement rate, and the robust statistics the rules compare posts with.
//!
//! Engagement rate of a post on a platform (from its latest snapshot in the month):
//! - LinkedIn, X, Rednote: (likes + comments + shares + saves + clicks) / impressions;
//! - YouTube: (likes + comments + shares) / views (Studio exports no saves or clicks, and views, not impressions,
//!   are the audience that could engage).
//!
//! Missing counts count as zero; a post without its denominator (or with zero) has no rate and is left out of
//! rate-based rules.

use crate::entities::{Metric, Platform};

/// The engagement rate of one snapshot, if it has a denominator. Negative period counts (removals) count as
/// none; an export that gives only the platform's total of engagements (LinkedIn's top posts) uses it.
pub fn engagement_rate(m: &Metric) -> Option<f64> {
    let n = |v: Option<i64>| v.unwrap_or(0).max(0) as f64;
    let (parts, audience) = match m.platform {
        Platform::Youtube => ([m.likes, m.comments, m.shares, None, None], m.views),
        _ => (
            [m.likes, m.comments, m.shares, m.saves, m.clicks],
            m.impressions,
        ),
    };
    let engaged = if parts.iter().all(Option::is_none) {
        n(m.engagements)
    } else {
        parts.iter().map(|v| n(*v)).sum()
    };
    match audience {
        Some(a) if a > 0 => Some(engaged / a as f64),
        _ => None,
    }
}

/// Reach of one snapshot: impressions, or views on YouTube.
pub fn reach(m: &Metric) -> Option<u64> {
    let audience = match m.platform {
        Platform::Youtube => m.views,
        _ => m.impressions,
    };
    audience.map(|a| a.max(0) as u64)
}

/// The median of `values` (empty: `None`).
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

/// Median absolute deviation around the median.
pub fn mad(values: &[f64]) -> Option<f64> {
    let m = median(values)?;
    let deviations: Vec<f64> = values.iter().map(|v| (v - m).abs()).collect();
    median(&deviations)
}

/// How far `value` is from the sample's centre, in robust standard deviations (`1.4826 × MAD`, which equals the
/// standard deviation for normal data). The scale is floored at 5% of the median so that a sample of near-equal
/// values does not make every small difference look extreme.
pub fn robust_z(value: f64, median: f64, mad: f64) -> f64 {
    let scale = (1.4826 * mad).max(0.05 * median.abs()).max(1e-12);
    (value - median) / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(platform: &str, fields: serde_json::Value) -> Metric {
        let mut v = serde_json::json!({"workspaceId": "w", "postId": "p", "platform": platform,
            "date": "2026-07-01", "month": "2026-07"});
        v.as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn engagement_rate_by_hand() {
        // (40 + 5 + 3 + 2 + 10) / 1200 = 60 / 1200 = 0.05
        let li = metric(
            "linkedin",
            serde_json::json!({"impressions": 1200, "likes": 40, "comments": 5, "shares": 3, "saves": 2, "clicks": 10}),
        );
        assert_eq!(engagement_rate(&li), Some(0.05));
        // YouTube: (90 + 6 + 4) / 2000 = 0.05; impressions and clicks are not counted.
        let yt = metric(
            "youtube",
            serde_json::json!({"views": 2000, "impressions": 99999, "likes": 90, "comments": 6, "shares": 4, "clicks": 500}),
        );
        assert_eq!(engagement_rate(&yt), Some(0.05));
        // Missing counts are zero: 7 / 100.
        assert_eq!(
            engagement_rate(&metric(
                "x",
                serde_json::json!({"impressions": 100, "likes": 7})
            )),
            Some(0.07)
        );
        assert_eq!(
            engagement_rate(&metric(
                "x",
                serde_json::json!({"impressions": 0, "likes": 7})
            )),
            None
        );
        assert_eq!(
            engagement_rate(&metric(
                "youtube",
                serde_json::json!({"impressions": 10, "likes": 7})
            )),
            None
        );
    }

    #[test]
    fn median_and_mad_by_hand() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        // |1-3|,|2-3|,|3-3|,|4-3|,|100-3| = 2,1,0,1,97 → median 1
        assert_eq!(mad(&[1.0, 2.0, 3.0, 4.0, 100.0]), Some(1.0));
        assert!((robust_z(100.0, 3.0, 1.0) - 97.0 / 1.4826).abs() < 1e-9);
        // A flat sample: the scale floor (5% of the median) keeps z finite.
        assert!((robust_z(0.12, 0.10, 0.0) - 4.0).abs() < 1e-9);
    }
}
