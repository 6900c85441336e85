//! Figures in plain Rust: a lab describes a figure ([`figure`]); [`layout`] lays it out
//! into a display list ([`scene`]) that the page paints on a canvas and [`svg`] writes
//! (the CLI rasterises that to PNG). Also colormaps, heatmap pixel buffers, axis ticks
//! ([`ticks`]), text metrics of the figure font ([`text`]), contour lines ([`contour`]),
//! streamlines ([`streamlines`]) and particle trail buffers ([`particles`]).

pub mod contour;
pub mod figure;
pub mod layout;
pub mod particles;
pub mod scene;
pub mod streamlines;
pub mod svg;
pub mod text;
pub mod ticks;

/// Colormaps for heatmaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colormap {
    /// Perceptually uniform, dark to light (sequential quantities).
    Viridis,
    /// Blue–white–red (signed quantities; the domain should be symmetric).
    Diverging,
    /// Black to white (±1 patterns).
    Gray,
}

impl Colormap {
    /// Parse a colormap name; unknown names give `Viridis`.
    pub fn from_name(name: &str) -> Self {
        match name {
            "diverging" | "rdbu" => Self::Diverging,
            "gray" | "grey" => Self::Gray,
            _ => Self::Viridis,
        }
    }

    /// The colour at `t ∈ [0, 1]` (clamped).
    pub fn rgb(self, t: f64) -> [u8; 3] {
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        let stops: &[[f64; 3]] = match self {
            // matplotlib's viridis at 0, 1/8, …, 1.
            Self::Viridis => &[
                [68.0, 1.0, 84.0],
                [71.0, 44.0, 122.0],
                [59.0, 81.0, 139.0],
                [44.0, 113.0, 142.0],
                [33.0, 144.0, 141.0],
                [39.0, 173.0, 129.0],
                [92.0, 200.0, 99.0],
                [170.0, 220.0, 50.0],
                [253.0, 231.0, 37.0],
            ],
            // ColorBrewer RdBu reversed: negative blue, zero white, positive red.
            Self::Diverging => &[
                [5.0, 48.0, 97.0],
                [33.0, 102.0, 172.0],
                [67.0, 147.0, 195.0],
                [146.0, 197.0, 222.0],
                [247.0, 247.0, 247.0],
                [244.0, 165.0, 130.0],
                [214.0, 96.0, 77.0],
                [178.0, 24.0, 43.0],
                [103.0, 0.0, 31.0],
            ],
            Self::Gray => &[[20.0, 20.0, 20.0], [245.0, 245.0, 245.0]],
        };
        let x = t * (stops.len() - 1) as f64;
        let i = (x.floor() as usize).min(stops.len() - 2);
        let f = x - i as f64;
        let mut out = [0u8; 3];
        for c in 0..3 {
            out[c] = (stops[i][c] + f * (stops[i + 1][c] - stops[i][c])).round() as u8;
        }
        out
    }
}

/// RGBA pixels (row-major, 4 bytes each) of `values` mapped through `cmap` over
/// `[lo, hi]`. Non-finite values are drawn in a neutral grey so that missing or
/// diverged cells stand out.
pub fn heatmap_rgba(values: &[f64], lo: f64, hi: f64, cmap: Colormap) -> Vec<u8> {
    let span = if hi > lo { hi - lo } else { 1.0 };
    let mut out = Vec::with_capacity(values.len() * 4);
    for &v in values {
        if v.is_finite() {
            let [r, g, b] = cmap.rgb((v - lo) / span);
            out.extend_from_slice(&[r, g, b, 255]);
        } else {
            out.extend_from_slice(&[150, 150, 150, 255]);
        }
    }
    out
}

/// "Nice" tick positions (steps of 1, 2 or 5 × 10^k) covering `[lo, hi]`, about `target` of them.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || target == 0 {
        return Vec::new();
    }
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, lo + 0.5) };
    let raw = (hi - lo) / target as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let first = (lo / step - 1e-9).ceil();
    let last = (hi / step + 1e-9).floor();
    let count = (last - first) as i64;
    if !(0..=1000).contains(&count) {
        return Vec::new();
    }
    (0..=count)
        .map(|k| {
            let t = (first + k as f64) * step;
            // Snap away rounding noise such as 0.30000000000000004.
            let digits = (-step.log10().floor()).max(0.0) as i32 + 1;
            let scale = 10f64.powi(digits);
            (t * scale).round() / scale
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice_and_cover_the_range() {
        assert_eq!(nice_ticks(0.0, 1.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(nice_ticks(-3.0, 7.0, 5), vec![-2.0, 0.0, 2.0, 4.0, 6.0]);
        assert_eq!(nice_ticks(0.0, 0.3, 3), vec![0.0, 0.1, 0.2, 0.3]);
        assert!(nice_ticks(f64::NAN, 1.0, 5).is_empty());
        assert_eq!(nice_ticks(2.0, 2.0, 4), vec![1.5, 2.0, 2.5]);
    }

    #[test]
    fn heatmap_maps_the_domain_ends_and_marks_non_finite() {
        let px = heatmap_rgba(&[0.0, 1.0, f64::NAN], 0.0, 1.0, Colormap::Viridis);
        assert_eq!(&px[0..4], &[68, 1, 84, 255]);
        assert_eq!(&px[4..8], &[253, 231, 37, 255]);
        assert_eq!(&px[8..12], &[150, 150, 150, 255]);
        let mid = Colormap::Diverging.rgb(0.5);
        assert_eq!(mid, [247, 247, 247]);
    }
}
