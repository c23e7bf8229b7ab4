//! How claims read: names, days, effects and evidence in words a creator reads.

use time::Date;

use creatoros_model::entities::{Evidence, Platform};

/// A platform's name as creators write it.
pub fn platform(p: Platform) -> &'static str {
    match p {
        Platform::Linkedin => "LinkedIn",
        Platform::X => "X",
        Platform::Youtube => "YouTube",
        Platform::Rednote => "Rednote",
    }
}

/// The platform's name with its article: `an X`, `a LinkedIn`.
pub fn a_platform(p: Platform) -> String {
    match p {
        Platform::X => "an X".to_owned(),
        other => format!("a {}", platform(other)),
    }
}

/// `3 July 2026`.
pub fn day(d: Date) -> String {
    format!("{} {} {}", d.day(), d.month(), d.year())
}

/// A ratio against typical: `3.1×` above one, `40% of` below.
pub fn ratio(r: f64) -> String {
    if r >= 1.0 {
        format!("{r:.1}×")
    } else {
        format!("{:.0}% of", r * 100.0)
    }
}

/// A p-value as people read it.
pub fn chance(p: f64) -> String {
    if p < 0.001 {
        "under 1 in 1,000".to_owned()
    } else {
        format!("about 1 in {:.0}", (1.0 / p).round())
    }
}

/// A weekday's plural name.
pub fn weekday(w: time::Weekday) -> String {
    format!("{w}s")
}

/// A list in prose: `a`, `a and b`, `a, b and c`.
pub fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// One evidence point.
pub fn point(
    post: Option<&str>,
    platform: Option<Platform>,
    metric: &str,
    value: f64,
    note: Option<String>,
) -> Evidence {
    Evidence {
        post_id: post.map(str::to_owned),
        platform: platform.map(|p| p.as_str().to_owned()),
        metric: Some(metric.to_owned()),
        // Six decimals for values; p-values keep their magnitude down to 1e-12 (not 0, and within what a DynamoDB
        // number can hold: nothing below 1e-130).
        value: Some(if metric == "pValue" {
            value.max(1e-12)
        } else {
            (value * 1e6).round() / 1e6
        }),
        note,
    }
}

/// The evidence every test carries: sample size, effect and p-value.
pub fn test_evidence(platform: Platform, n: usize, effect: f64, p: f64) -> Vec<Evidence> {
    vec![
        point(None, Some(platform), "sampleSize", n as f64, None),
        point(None, Some(platform), "effectRatio", effect, None),
        point(
            None,
            Some(platform),
            "pValue",
            p,
            Some(format!("chance of this by luck: {}", chance(p))),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn words_read_naturally() {
        assert_eq!(ratio(3.12), "3.1×");
        assert_eq!(ratio(0.4), "40% of");
        assert_eq!(day(date!(2026 - 07 - 03)), "3 July 2026");
        assert_eq!(list(&["a".into(), "b".into(), "c".into()]), "a, b and c");
        assert_eq!(chance(0.0001), "under 1 in 1,000");
        assert_eq!(chance(0.02), "about 1 in 50");
        assert_eq!(weekday(time::Weekday::Tuesday), "Tuesdays");
    }
}
