//! Axis ticks and their labels: nice 1-2-5 steps on linear axes, decades (or 1-2-5
//! multiples within a decade) on log axes, and one number format per axis.

use super::nice_ticks;

/// Ticks of a linear axis over `[lo, hi]`, about `target` of them and never fewer than
/// three when the range is not empty, with labels in one format.
pub fn linear(lo: f64, hi: f64, target: usize) -> Vec<(f64, String)> {
    let mut t = nice_ticks(lo, hi, target.max(2));
    let mut k = target.max(2);
    while t.len() < 3 && k < 12 && hi > lo {
        k += 1;
        t = nice_ticks(lo, hi, k);
    }
    t.retain(|v| *v >= lo - 1e-9 * (hi - lo).abs() && *v <= hi + 1e-9 * (hi - lo).abs());
    let labels = format_all(&t);
    t.into_iter().zip(labels).collect()
}

/// Ticks of a log axis whose transformed range is `[lo, hi]` (log10 of the data). The
/// positions returned are log10 values; labels show the data values.
pub fn log(lo: f64, hi: f64, target: usize) -> Vec<(f64, String)> {
    if !(lo.is_finite() && hi.is_finite()) || hi < lo {
        return Vec::new();
    }
    let first = lo.ceil() as i32;
    let last = hi.floor() as i32;
    let decades = last - first + 1;
    // Two decade ticks alone say little: 1-2-5 multiples when they fit (1, 2, 5, 10, 20).
    if decades == 2 {
        let t = multiples(lo, hi, &[1.0, 2.0, 5.0]);
        if t.len() <= target.max(2) + 1 {
            return t;
        }
    }
    if decades >= 2 {
        let step = ((decades as f64) / target.max(2) as f64).ceil().max(1.0) as i32;
        // Keep the decades that are multiples of the step, so ticks land on round powers;
        // one format for the whole axis: plain numbers when every decade is within
        // 0.001…10000, powers of ten otherwise.
        let ks: Vec<i32> = (first..=last).filter(|k| k.rem_euclid(step) == 0).collect();
        let plain = ks.iter().all(|k| (-3..=4).contains(k));
        return ks
            .into_iter()
            .map(|k| (f64::from(k), if plain { pow10_label(k) } else { format!("10{}", superscript(k)) }))
            .collect();
    }
    // Less than two decades: 1-2-5 multiples, then every integer multiple if still too few.
    let t = multiples(lo, hi, &[1.0, 2.0, 5.0]);
    if t.len() >= 3 {
        return t;
    }
    multiples(lo, hi, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
}

/// The multiples `m·10ᵏ` (m in `mults`) inside the log10 range `[lo, hi]`, as (log10 value, label).
fn multiples(lo: f64, hi: f64, mults: &[f64]) -> Vec<(f64, String)> {
    let mut vals = Vec::new();
    for k in (lo.floor() as i32 - 1)..=(hi.ceil() as i32) {
        for m in mults {
            let v = m * 10f64.powi(k);
            let lv = v.log10();
            if lv >= lo - 1e-9 && lv <= hi + 1e-9 {
                vals.push(v);
            }
        }
    }
    let labels = format_all(&vals);
    vals.iter().map(|v| v.log10()).zip(labels).collect()
}

/// Superscript digits for exponents.
fn superscript(k: i32) -> String {
    let digits = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut s = String::new();
    if k < 0 {
        s.push('⁻');
    }
    for c in k.unsigned_abs().to_string().chars() {
        s.push(digits[c.to_digit(10).unwrap_or(0) as usize]);
    }
    s
}

/// `10^k` as a label: plain for −3 ≤ k ≤ 4 (0.001 … 10000), `10ᵏ` otherwise.
pub fn pow10_label(k: i32) -> String {
    if (-3..=4).contains(&k) {
        let v = 10f64.powi(k);
        format_all(&[v]).remove(0)
    } else {
        format!("10{}", superscript(k))
    }
}

/// Labels for a set of tick values in one format: plain decimals with the fewest digits
/// that tell them apart, or `m×10ᵏ` when the values are very large or very small.
pub fn format_all(values: &[f64]) -> Vec<String> {
    let max = values.iter().filter(|v| v.is_finite()).fold(0.0f64, |m, v| m.max(v.abs()));
    let min_nz =
        values.iter().filter(|v| v.is_finite() && **v != 0.0).fold(f64::INFINITY, |m, v| m.min(v.abs()));
    if max >= 1e5 || (min_nz.is_finite() && min_nz < 1e-3 && max < 1e-2) {
        return values.iter().map(|&v| sci(v)).collect();
    }
    // The fewest decimals (≤ 6) that print every value exactly to 1e-9 relative.
    let decimals = (0..=6)
        .find(|&d| {
            values.iter().all(|&v| {
                let s = format!("{v:.d$}");
                s.parse::<f64>().is_ok_and(|p| (p - v).abs() <= 1e-9 * v.abs().max(1e-12))
            })
        })
        .unwrap_or(6);
    values
        .iter()
        .map(|&v| {
            let s = format!("{:.*}", decimals, if v == 0.0 { 0.0 } else { v });
            s.replace('-', "−")
        })
        .collect()
}

/// `m×10ᵏ` with the shortest mantissa.
fn sci(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if !v.is_finite() {
        return format!("{v}");
    }
    let k = v.abs().log10().floor() as i32;
    let m = v / 10f64.powi(k);
    let ms = format_all(&[super::scene::round_sig(m, 3)]).remove(0);
    if ms == "1" {
        format!("10{}", superscript(k))
    } else if ms == "−1" {
        format!("−10{}", superscript(k))
    } else {
        format!("{ms}×10{}", superscript(k))
    }
}

/// A single number for text (captions, tables): 4 significant digits, `m×10ᵏ` outside
/// 1e-3..1e5, `—` for missing values.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "—".into()
        } else if v > 0.0 {
            "∞".into()
        } else {
            "−∞".into()
        };
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        return sci(super::scene::round_sig(v, 3));
    }
    let r = super::scene::round_sig(v, 4);
    format!("{r}").replace('-', "−")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(t: &[(f64, String)]) -> Vec<&str> {
        t.iter().map(|(_, s)| s.as_str()).collect()
    }

    #[test]
    fn linear_ticks_share_one_format() {
        assert_eq!(labels(&linear(0.0, 1.0, 5)), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        assert_eq!(labels(&linear(0.0, 30.0, 4)), ["0", "10", "20", "30"]);
        assert_eq!(labels(&linear(-1.0, 1.0, 4)), ["−1.0", "−0.5", "0.0", "0.5", "1.0"]);
    }

    #[test]
    fn linear_axes_get_at_least_three_ticks() {
        // A narrow range that gave a single tick with a target of 2.
        let t = linear(0.9983, 1.0004, 2);
        assert!(t.len() >= 3, "{t:?}");
    }

    #[test]
    fn log_ticks_are_decades_or_round_multiples() {
        assert_eq!(labels(&log(-3.0, 1.0, 6)), ["0.001", "0.01", "0.1", "1", "10"]);
        assert_eq!(labels(&log(-4.0, 1.0, 6)), ["10⁻⁴", "10⁻³", "10⁻²", "10⁻¹", "10⁰", "10¹"]);
        assert_eq!(labels(&log(-8.0, 2.0, 4)), ["10⁻⁶", "10⁻³", "10⁰"]);
        // Less than two decades: 1-2-5, never 3160 or 0.316.
        assert_eq!(labels(&log(2.0_f64.log10(), 3.5, 5)), ["10", "100", "1000"]);
        let t = log(2.0_f64.log10(), 1.5, 5);
        assert_eq!(labels(&t), ["2", "5", "10", "20"]);
        let t = log(-0.2, 0.3, 5);
        assert_eq!(labels(&t), ["0.7", "0.8", "0.9", "1.0"]);
        assert!(t.len() >= 3);
        // Two decades (0.85 … 10.5): 1-2-5 multiples, not just 1 and 10.
        assert_eq!(labels(&log(0.85f64.log10(), 10.5f64.log10(), 5)), ["1", "2", "5", "10"]);
        // Too many for the space: decades.
        assert_eq!(labels(&log(-0.1, 1.95, 2)), ["1", "10"]);
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(number(0.0719685673), "0.07197");
        assert_eq!(number(123456.0), "1.23×10⁵");
        assert_eq!(number(-2.5), "−2.5");
        assert_eq!(number(f64::NAN), "—");
        assert_eq!(format_all(&[1e6, 2e6]), ["10⁶", "2×10⁶"]);
    }
}
