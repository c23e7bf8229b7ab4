//! What a snapshot's engagement and audience are, per platform.
//!
//! - Audience: impressions on LinkedIn, X and Rednote; views on YouTube (Studio exports no saves or clicks, and
//!   views, not impressions, are the audience that could engage).
//! - Engaged: likes + comments + shares + saves + clicks (YouTube: likes + comments + shares); an export that
//!   gives only the platform's own total (LinkedIn's top posts) uses that. Missing counts count as zero, negative
//!   period counts (removals) as none.
//! - Engagement rate: engaged / audience. Rates are compared only within one platform: each platform defines its
//!   counts differently, so a rate on X and one on LinkedIn are not the same measure.

use creatoros_model::entities::{Metric, Platform};

/// The audience of one snapshot, if the export gives it.
pub fn audience(m: &Metric) -> Option<f64> {
    match m.platform {
        Platform::Youtube => m.views,
        _ => m.impressions,
    }
    .map(|a| a.max(0) as f64)
}

/// Engagements of one snapshot, if the export gives any count of them.
pub fn engaged(m: &Metric) -> Option<f64> {
    let n = |v: Option<i64>| v.unwrap_or(0).max(0) as f64;
    let parts = match m.platform {
        Platform::Youtube => [m.likes, m.comments, m.shares, None, None],
        _ => [m.likes, m.comments, m.shares, m.saves, m.clicks],
    };
    if parts.iter().all(Option::is_none) {
        m.engagements.map(|e| e.max(0) as f64)
    } else {
        Some(parts.iter().map(|v| n(*v)).sum())
    }
}

/// The engagement rate of one snapshot, if it has engagements and a non-zero audience.
pub fn engagement_rate(m: &Metric) -> Option<f64> {
    match (engaged(m), audience(m)) {
        (Some(e), Some(a)) if a > 0.0 => Some(e / a),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use creatoros_model::ids::{Day, PostId, WorkspaceId};

    fn metric(platform: Platform) -> Metric {
        Metric::new(
            WorkspaceId::parse("ws").unwrap(),
            PostId::parse("p").unwrap(),
            platform,
            Day::parse("2026-07-01").unwrap(),
        )
    }

    #[test]
    fn rates_use_each_platforms_audience_and_counts() {
        let mut x = metric(Platform::X);
        x.impressions = Some(1000);
        x.likes = Some(30);
        x.clicks = Some(20);
        x.views = Some(5);
        assert_eq!(engagement_rate(&x), Some(0.05));
        let mut yt = metric(Platform::Youtube);
        yt.views = Some(200);
        yt.likes = Some(10);
        yt.saves = Some(1000);
        assert_eq!(engagement_rate(&yt), Some(0.05));
        let mut top = metric(Platform::Linkedin);
        top.impressions = Some(400);
        top.engagements = Some(20);
        assert_eq!(engagement_rate(&top), Some(0.05));
        let mut removed = metric(Platform::Youtube);
        removed.views = Some(100);
        removed.likes = Some(-4);
        assert_eq!(engagement_rate(&removed), Some(0.0));
        assert_eq!(engagement_rate(&metric(Platform::X)), None);
    }
}
