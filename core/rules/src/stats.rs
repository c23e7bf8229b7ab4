//! The statistics the rules stand on: a leave-one-out prediction test for one post, two-sample t tests for groups
//! of posts and for daily series, and Benjamini–Hochberg across all the claims of a month.
//!
//! All tests work on log rates, where real spread is close to normal, and give exact p-values: a permutation
//! test of 1,999 shuffles cannot say less than 1 in 2,000, while a month with 300 tests needs 1 in 6,000 from a
//! lone discovery (found when the catalogue first ran through `make bench-insights`).
//!
//! Every test returns a two-sided (or, where stated, one-sided) p-value that is valid on the noise real creator
//! accounts show: log rates spread with σ from 0.4 to 1.6, binomial noise on small audiences. `make bench-insights`
//! measures their false-claim rate and power on generated workspaces.

use statrs::distribution::{Binomial, Continuous, ContinuousCDF, DiscreteCDF, StudentsT};

/// Mean and sample variance (n − 1), if there are at least two values.
pub fn mean_var(values: &[f64]) -> Option<(f64, f64)> {
    let n = values.len();
    if n < 2 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    Some((mean, var))
}

/// The median (empty: `None`).
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

/// Two-sided p-value of a t statistic with `df` degrees of freedom.
pub fn t_two_sided(t: f64, df: f64) -> f64 {
    if !t.is_finite() || df <= 0.0 {
        return 1.0;
    }
    match StudentsT::new(0.0, 1.0, df) {
        Ok(dist) => (2.0 * dist.sf(t.abs())).min(1.0),
        Err(_) => 1.0,
    }
}

/// A log rate that stays finite at zero: `ln((count + ½) / (base + 1))`, with the variance binomial (or Poisson)
/// noise adds to it at this size, `1 / (count + ½)` (the delta method; it dominates on small audiences).
pub fn log_rate(count: f64, base: f64) -> (f64, f64) {
    let c = count.max(0.0);
    (((c + 0.5) / (base.max(0.0) + 1.0)).ln(), 1.0 / (c + 0.5))
}

/// One post's value against the others of its reference: how far it lies outside where they predict it.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Posts in the reference (the candidate left out).
    pub n: usize,
    /// The candidate's value minus the reference mean (log scale).
    pub log_effect: f64,
    /// The effect shrunk towards zero by the candidate's own noise (what the words quote, and what must clear a
    /// rule's floor).
    pub shrunk_effect: f64,
    /// Two-sided p-value.
    pub p: f64,
}

/// Leave-one-out prediction test on the log scale. `reference` holds the other posts' (value, noise variance);
/// the candidate's own noise variance beyond the reference's typical one widens the bound, so a small audience
/// needs a larger deviation (and its effect is shrunk in proportion).
pub fn loo_prediction(candidate: (f64, f64), reference: &[(f64, f64)]) -> Option<Prediction> {
    let values: Vec<f64> = reference.iter().map(|r| r.0).collect();
    let (mean, var) = mean_var(&values)?;
    // A reference without spread (values exported rounded to one figure) cannot say how unusual anything is.
    if var < 1e-6 {
        return None;
    }
    let n = reference.len();
    let typical_noise = reference.iter().map(|r| r.1).sum::<f64>() / n as f64;
    let extra = (candidate.1 - typical_noise).max(0.0);
    let spread = var;
    let scale = (spread * (1.0 + 1.0 / n as f64) + extra).sqrt();
    let log_effect = candidate.0 - mean;
    Some(Prediction {
        n,
        log_effect,
        shrunk_effect: log_effect * spread / (spread + extra),
        p: t_two_sided(log_effect / scale, (n - 1) as f64),
    })
}

/// Leave-one-out test of a count: `count` of `base` (engagements of an audience, follows of one) against the
/// reference's log rates `(value, noise variance)`. The reference's spread, less the binomial noise in it, is the
/// spread of true rates; the candidate's rate is drawn from it (Student t, for the uncertainty of a mean and
/// spread estimated from `n` posts) and its count from the binomial at that rate. The p-value is exact for the
/// count under that mixture, so a small audience is judged by what its few engagements can show, and a zero of a
/// large audience is as significant as it is.
pub fn count_prediction(count: f64, base: f64, reference: &[(f64, f64)]) -> Option<Prediction> {
    let values: Vec<f64> = reference.iter().map(|r| r.0).collect();
    let (mean, var) = mean_var(&values)?;
    let n = reference.len();
    let trials = base.round().max(1.0) as u64;
    let count = count.round().clamp(0.0, trials as f64) as u64;
    let typical_noise = reference.iter().map(|r| r.1).sum::<f64>() / n as f64;
    // The spread of true rates: what the reference varies by beyond its own counting noise, but never below half
    // of what it shows: with counts of a few, the noise estimate is rough, and an underestimated spread would
    // make ordinary posts look extraordinary.
    let spread = (var - typical_noise).max(var * 0.5).max(1e-6);
    let scale = (spread * (1.0 + 1.0 / n as f64)).sqrt();
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64).ok()?;
    let (mut lower, mut upper, mut total) = (0.0, 0.0, 0.0);
    const STEPS: usize = 400;
    for i in 0..=STEPS {
        let z = -10.0 + 20.0 * i as f64 / STEPS as f64;
        let w = t.pdf(z);
        let rate = (mean + scale * z).min(0.0).exp();
        let binomial = Binomial::new(rate, trials).ok()?;
        lower += w * binomial.cdf(count);
        upper += w * if count == 0 {
            1.0
        } else {
            binomial.sf(count - 1)
        };
        total += w;
    }
    let p = (2.0 * (lower / total).min(upper / total)).min(1.0);
    let (value, noise) = log_rate(count as f64, trials as f64);
    let log_effect = value - mean;
    // The effect as far as the candidate's own count vouches for it: the near end of its 80% interval (a zero
    // of a thousand still says "under a tenth of typical"; twelve hundred of ten thousand says about its rate).
    let margin = 1.28 * noise.sqrt();
    let shrunk_effect = if log_effect > 0.0 {
        (log_effect - margin).max(0.0)
    } else {
        (log_effect + margin).min(0.0)
    };
    Some(Prediction {
        n,
        log_effect,
        shrunk_effect,
        p,
    })
}

/// Pooled-variance two-sample t test of `a` against `b`: (difference of means a − b, t, degrees of freedom).
pub fn pooled_t(a: &[f64], b: &[f64]) -> Option<(f64, f64, f64)> {
    let (ma, va) = mean_var(a)?;
    let (mb, vb) = mean_var(b)?;
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let pooled = ((na - 1.0) * va + (nb - 1.0) * vb) / (na + nb - 2.0);
    let se = (pooled * (1.0 / na + 1.0 / nb)).sqrt();
    if se <= 0.0 {
        return None;
    }
    Some((ma - mb, (ma - mb) / se, na + nb - 2.0))
}

/// One-sided (upper) p-value of a t statistic with `df` degrees of freedom.
pub fn t_upper(t: f64, df: f64) -> f64 {
    if !t.is_finite() || df <= 0.0 {
        return 1.0;
    }
    StudentsT::new(0.0, 1.0, df).map_or(1.0, |d| d.sf(t))
}

/// Welch's two-sample t test: (difference of means a − b, two-sided p).
pub fn welch(a: &[f64], b: &[f64]) -> Option<(f64, f64)> {
    let (ma, va) = mean_var(a)?;
    let (mb, vb) = mean_var(b)?;
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (sa, sb) = (va / na, vb / nb);
    let se = (sa + sb).sqrt();
    if se <= 0.0 {
        return None;
    }
    let df = (sa + sb).powi(2) / (sa.powi(2) / (na - 1.0) + sb.powi(2) / (nb - 1.0));
    Some((ma - mb, t_two_sided((ma - mb) / se, df)))
}

/// Benjamini–Hochberg at level `q`: which of `p_values` are discoveries. Under no effect at all this also bounds
/// the chance of any claim by `q`.
pub fn benjamini_hochberg(p_values: &[f64], q: f64) -> Vec<bool> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|a, b| p_values[*a].total_cmp(&p_values[*b]).then(a.cmp(b)));
    let mut cut = 0;
    for (rank, i) in order.iter().enumerate() {
        if p_values[*i] <= q * (rank + 1) as f64 / m as f64 {
            cut = rank + 1;
        }
    }
    let mut keep = vec![false; m];
    for i in &order[..cut] {
        keep[*i] = true;
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Normal};

    #[test]
    fn t_p_values_match_tables() {
        // t = 2.228 with 10 df is the two-sided 5% point.
        assert!((t_two_sided(2.228, 10.0) - 0.05).abs() < 1e-3);
        assert!((t_two_sided(0.0, 5.0) - 1.0).abs() < 1e-12);
        assert_eq!(t_two_sided(f64::NAN, 5.0), 1.0);
    }

    #[test]
    fn benjamini_hochberg_steps_up() {
        // Sorted p: 0.01 ≤ 0.05·1/4, 0.02 ≤ 0.05·2/4, 0.03 ≤ 0.05·3/4 (so 0.03 passes by step-up), 0.5 fails.
        assert_eq!(
            benjamini_hochberg(&[0.5, 0.03, 0.01, 0.02], 0.05),
            vec![false, true, true, true]
        );
        assert_eq!(benjamini_hochberg(&[0.04, 0.2], 0.05), vec![false, false]);
        assert!(benjamini_hochberg(&[], 0.05).is_empty());
    }

    #[test]
    fn the_prediction_test_holds_its_level_on_normal_noise() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let normal = Normal::new(0.0, 0.9).unwrap();
        let trials = 4000;
        let mut rejected = 0;
        for _ in 0..trials {
            let reference: Vec<(f64, f64)> =
                (0..12).map(|_| (normal.sample(&mut rng), 0.0)).collect();
            let p = loo_prediction((normal.sample(&mut rng), 0.0), &reference)
                .unwrap()
                .p;
            if p < 0.05 {
                rejected += 1;
            }
        }
        let rate = rejected as f64 / trials as f64;
        assert!((0.035..0.065).contains(&rate), "level {rate}");
    }

    #[test]
    fn the_count_test_holds_its_level_and_sees_a_zero_of_many() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let true_rate = Normal::new((0.03f64).ln(), 0.6).unwrap();
        let draw = |rng: &mut ChaCha8Rng, base: u64| {
            let r: f64 = true_rate.sample(rng).exp().min(1.0);
            rand_distr::Binomial::new(base, r).unwrap().sample(rng) as f64
        };
        let trials = 1500;
        let mut rejected = 0;
        for _ in 0..trials {
            let reference: Vec<(f64, f64)> = (0..15)
                .map(|_| {
                    let base = 300 + (rng.gen::<u64>() % 3000);
                    log_rate(draw(&mut rng, base), base as f64)
                })
                .collect();
            let base = 200 + (rng.gen::<u64>() % 3000);
            let count = draw(&mut rng, base);
            if count_prediction(count, base as f64, &reference).unwrap().p < 0.05 {
                rejected += 1;
            }
        }
        let rate = rejected as f64 / trials as f64;
        assert!(rate < 0.07, "level {rate}");
        let reference: Vec<(f64, f64)> =
            (0..15).map(|i| log_rate(40.0 + i as f64, 1500.0)).collect();
        assert!(count_prediction(0.0, 1500.0, &reference).unwrap().p < 1e-6);
        // Zero of 20 is what a typical rate gives anyway.
        assert!(count_prediction(0.0, 20.0, &reference).unwrap().p > 0.5);
    }

    #[test]
    fn a_noisy_candidate_needs_a_larger_deviation() {
        let reference: Vec<(f64, f64)> = (0..20).map(|i| ((i as f64 - 9.5) / 10.0, 0.01)).collect();
        let quiet = loo_prediction((2.0, 0.01), &reference).unwrap();
        let noisy = loo_prediction((2.0, 1.0), &reference).unwrap();
        assert!(noisy.p > quiet.p);
        assert!(noisy.shrunk_effect < quiet.shrunk_effect);
        assert_eq!(quiet.n, 20);
    }

    #[test]
    fn pooled_t_matches_a_hand_computation() {
        // Means 2 and 0, pooled variance 1, n 4 and 4: t = 2 / sqrt(1/4 + 1/4) = 2.828, 6 df.
        let (d, t, df) = pooled_t(&[1.0, 2.0, 3.0, 2.0], &[-1.0, 0.0, 1.0, 0.0]).unwrap();
        assert_eq!((d, df), (2.0, 6.0));
        assert!((t - 2.0 / (2.0f64 / 3.0 * 0.5).sqrt()).abs() < 1e-12);
        assert!(t_upper(t, df) < 0.025 && t_upper(-t, df) > 0.975);
        assert!(pooled_t(&[1.0, 1.0], &[1.0, 1.0]).is_none());
    }

    #[test]
    fn welch_finds_a_shift_and_not_noise() {
        let a: Vec<f64> = (0..20).map(|i| (i % 5) as f64).collect();
        let b: Vec<f64> = (0..20).map(|i| (i % 5) as f64 + 3.0).collect();
        let (diff, p) = welch(&a, &b).unwrap();
        assert!((diff + 3.0).abs() < 1e-12 && p < 1e-6);
        assert!(welch(&a, &a).unwrap().1 > 0.99);
        assert!(welch(&[1.0], &a).is_none());
    }
}
