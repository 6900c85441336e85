//! The hetero lab's figures: the spectrum in the complex plane with the ellipse, its radial
//! and real-axis marginals, the density against |z| (product Ginibre), the rightmost
//! eigenvalue against the load, the stability map, and the dynamics.

use super::super::{FigureDef, View, field, num, nums};
use super::params::law;
use super::theory::{Law, product_ginibre_density};
use super::{sweep_alphas, sweep_taus};
use crate::plot::figure::{
    Axis, CellClick, Cmap, Control, Figure, LegendPos, Mark, Pixels, Plot, Shape, Style,
};
use crate::plot::scene::{Action, Color, PALETTE};
use crate::plot::ticks::number;
use serde_json::Value as Json;

const BLUE: Color = PALETTE[0];
const RED: Color = PALETTE[1];
const GREEN: Color = PALETTE[2];
const ORANGE: Color = PALETTE[3];
const PURPLE: Color = PALETTE[4];
const GREY: Color = PALETTE[6];
const BLACK: Color = PALETTE[7];

pub const FIGURES: &[FigureDef] = &[
    FigureDef {
        name: "spectrum",
        title: "Eigenvalues of J in the complex plane",
        parts: &["spectrum"],
        ui: &[],
        build: spectrum,
    },
    FigureDef {
        name: "marginals",
        title: "Radial and real-axis marginals",
        parts: &["spectrum"],
        ui: &[],
        build: marginals,
    },
    FigureDef {
        name: "ginibre",
        title: "Density against |z| (product Ginibre at τ = 0, α = 1)",
        parts: &["spectrum"],
        ui: &[],
        build: ginibre,
    },
    FigureDef {
        name: "stability",
        title: "Rightmost eigenvalue against the load α",
        parts: &["stability"],
        ui: &[],
        build: stability,
    },
    FigureDef { name: "map", title: "Stability map over (α, τ)", parts: &["map"], ui: &[], build: map },
    FigureDef {
        name: "dynamics",
        title: "Activity of ẋ = −x + J tanh(g x) from small states",
        parts: &["dynamics"],
        ui: &[],
        build: dynamics,
    },
];

/// Above this N the spectrum is drawn as a density image instead of dots.
const SCATTER_MAX: usize = 1200;

fn waiting(v: &View, part: &str, name: &str, title: &str, what: &str, time: &str) -> Figure {
    let msg = match v.progress(part) {
        Some((d, t)) if t > 0 => format!("Computing {what}: {d} of {t}…"),
        _ => format!("{what} will appear here once computed ({time})."),
    };
    Figure::empty(name, title, msg)
}

fn spectrum_time(v: &View) -> String {
    let n = v.params.int("n") as f64;
    let native = n.powi(3) * 1e-9;
    format!(
        "N = {}: about {} s natively, several times that in the browser",
        n,
        number((native * 10.0).ceil() / 10.0)
    )
}

/// The eigenvalues of the finished spectrum, the law they are compared with, and the
/// eigenvalues that are the point mass at 0.
struct Spec {
    re: Vec<f64>,
    im: Vec<f64>,
    law: Law,
    n: usize,
    zero: Vec<bool>,
}

fn spec(v: &View) -> Option<Spec> {
    if !v.has("spectrum") {
        return None;
    }
    let e = v.get("eigenvalues");
    let (re, im) = (nums(field(e, "re")), nums(field(e, "im")));
    let alpha = num(v.get("alpha"));
    let tau = num(v.get("tau"));
    let law = if alpha.is_finite() && tau.is_finite() {
        Law::new(alpha, tau, v.get("scaling").as_str() == Some("sqrt_alpha"))
    } else {
        law(&v.params)
    };
    let scale = law.max_modulus().max(1.0);
    let zero = re.iter().zip(&im).map(|(a, b)| a.hypot(*b) < 1e-4 * scale).collect();
    Some(Spec { n: re.len(), re, im, law, zero })
}

fn spectrum(v: &View) -> Figure {
    let title = "Eigenvalues of J in the complex plane";
    let Some(s) = spec(v) else {
        return waiting(v, "spectrum", "spectrum", title, "The eigenvalues of J", &spectrum_time(v));
    };
    let law = &s.law;
    let (bx, by) = law.boundary(240);
    let finite = |x: &f64| x.is_finite();
    let re_lo = s.re.iter().copied().filter(finite).fold(law.left_edge().min(0.0), f64::min);
    let re_hi = s.re.iter().copied().filter(finite).fold(law.right_edge().max(0.0), f64::max);
    let im_hi = s.im.iter().copied().filter(finite).map(f64::abs).fold(law.semi_imag(), f64::max);
    let width = (re_hi - re_lo).max(1e-6);
    let pad = 0.06 * width;
    let (x0, x1) = (re_lo - pad, re_hi + pad);
    let yh = (im_hi + pad).max(0.18 * width);
    let mut plot = Plot::new(Axis::new("Re λ"), Axis::new("Im λ")).height(320.0);
    plot.x = plot.x.domain(x0, x1);
    plot.y = plot.y.domain(-yh, yh);
    plot.equal = true;
    let zeros = s.zero.iter().filter(|&&z| z).count();
    let (nzx, nzy): (Vec<f64>, Vec<f64>) =
        s.re.iter().zip(&s.im).zip(&s.zero).filter(|(_, z)| !**z).map(|((a, b), _)| (*a, *b)).unzip();
    let mut caption_mode = "one dot per eigenvalue";
    if s.n <= SCATTER_MAX {
        plot = plot.mark(Mark::Markers {
            x: nzx,
            y: nzy,
            shape: Shape::Dot,
            size: if s.n > 600 { 1.4 } else { 2.0 },
            color: BLUE,
            label: "eigenvalues".into(),
        });
    } else {
        // A Gaussian kernel density estimate (1/N) Σ K_h(z − λ_k): comparable with ρ, and
        // smooth where a 2-D histogram of ≤ 2000 points would be mostly empty bins.
        let h = 0.07 * law.semi_real().max(law.semi_imag()).max(1e-6) * (1000.0 / s.n as f64).powf(1.0 / 6.0);
        caption_mode = "a kernel density estimate of the eigenvalues (bandwidth h), comparable with ρ";
        let cols = 120usize;
        let rows = ((2.0 * yh / (x1 - x0)) * cols as f64).round().clamp(12.0, 200.0) as usize;
        let (cw, rh) = ((x1 - x0) / cols as f64, 2.0 * yh / rows as f64);
        let mut values = vec![0.0; rows * cols];
        let norm = 1.0 / (s.n as f64 * 2.0 * std::f64::consts::PI * h * h);
        let reach = 3.0 * h;
        for (a, b) in nzx.iter().zip(&nzy) {
            let c0 = (((a - reach - x0) / cw).floor().max(0.0)) as usize;
            let c1 = (((a + reach - x0) / cw).ceil().max(0.0) as usize).min(cols);
            let r0 = (((yh - b - reach) / rh).floor().max(0.0)) as usize;
            let r1 = (((yh - b + reach) / rh).ceil().max(0.0) as usize).min(rows);
            for r in r0..r1 {
                let y = yh - (r as f64 + 0.5) * rh;
                for c in c0..c1 {
                    let x = x0 + (c as f64 + 0.5) * cw;
                    let d2 = (x - a).powi(2) + (y - b).powi(2);
                    values[r * cols + c] += norm * (-d2 / (2.0 * h * h)).exp();
                }
            }
        }
        let mut sorted: Vec<f64> = values.iter().copied().filter(|x| *x > 0.0).collect();
        sorted.sort_by(f64::total_cmp);
        let top = sorted.get(sorted.len() * 98 / 100).copied().unwrap_or(1.0).max(1e-9);
        plot = plot
            .mark(Mark::Heatmap {
                pixels: Pixels { rows, cols, values, cmap: Cmap::Viridis, domain: [0.0, top] },
                extent: [x0, x1, -yh, yh],
                click: CellClick::None,
                smooth: true,
            })
            .colorbar(Cmap::Viridis, [0.0, top], format!("density (h = {})", number(h)));
    }
    let edge =
        if s.n <= SCATTER_MAX { Style::line(7) } else { Style::line(7).color(Color::rgb(255, 255, 255)) };
    plot = plot.series("theory", bx, by, edge.width(1.4));
    if zeros > 0 {
        plot = plot.mark(Mark::Markers {
            x: vec![0.0],
            y: vec![0.0],
            shape: Shape::Circle,
            size: 6.0,
            color: RED,
            label: format!("{zeros} at 0"),
        });
    }
    plot = plot.mark(Mark::Markers {
        x: vec![law.center()],
        y: vec![0.0],
        shape: Shape::Cross,
        size: 5.0,
        color: GREY,
        label: "centre".into(),
    });
    let g = v.params.float("g");
    if (1.0 / g) < x1 {
        plot = plot.vline(1.0 / g, format!("1/g = {}", number(1.0 / g)), GREY);
    }
    Figure::new("spectrum", title)
        .plot("", plot)
        .control(Control::Params { keys: vec!["tau".into(), "alpha".into(), "n".into(), "scaling".into()] })
        .caption(format!(
            "N = {}, P = {}, α = {}, τ = {} ({} entries{}): {caption_mode}; the curve is the theory's ellipse.",
            s.n,
            num(v.get("p")),
            number(law.alpha),
            number(law.tau),
            v.get("entries").as_str().unwrap_or("gauss"),
            if law.scale != 1.0 { ", J/√α" } else { "" }
        ))
        .caption(format!(
            "Rightmost Re λ = {} (theory {}); mean λ = {} (theory ατ = {}); {} of {} eigenvalues at 0 (theory N − P = {}); {}% of the others lie outside the ellipse.",
            number(num(v.get("rightmost"))),
            number(law.rightmost()),
            number(num(v.get("mean"))),
            number(law.mean()),
            zeros,
            s.n,
            num(v.get("zero_expected")),
            number((num(v.get("outside")) * 1000.0).round() / 10.0)
        ))
}

/// A histogram of `xs` on `bins` bins over `[lo, hi]`, as densities per N.
fn histogram(xs: &[f64], lo: f64, hi: f64, bins: usize, n: usize) -> (Vec<f64>, Vec<f64>, f64) {
    let w = (hi - lo) / bins as f64;
    let mut counts = vec![0.0; bins];
    for &x in xs {
        let k = ((x - lo) / w).floor();
        if k >= 0.0 && (k as usize) < bins {
            counts[k as usize] += 1.0;
        } else if x == hi {
            counts[bins - 1] += 1.0;
        }
    }
    let centres = (0..bins).map(|k| lo + (k as f64 + 0.5) * w).collect();
    (centres, counts.iter().map(|c| c / (n as f64 * w)).collect(), w)
}

fn marginals(v: &View) -> Figure {
    let title = "Radial and real-axis marginals";
    let Some(s) = spec(v) else {
        return waiting(
            v,
            "spectrum",
            "marginals",
            title,
            "The marginals of the spectrum",
            &spectrum_time(v),
        );
    };
    let law = &s.law;
    let zeros = s.zero.iter().filter(|&&z| z).count();
    let moduli: Vec<f64> =
        s.re.iter().zip(&s.im).zip(&s.zero).filter(|(_, z)| !**z).map(|((a, b), _)| a.hypot(*b)).collect();
    let reals: Vec<f64> = s.re.iter().zip(&s.zero).filter(|(_, z)| !**z).map(|(a, _)| *a).collect();
    let bins = if s.n >= 800 { 40 } else { 24 };
    // Radial.
    let rmax = moduli.iter().copied().fold(law.max_modulus(), f64::max) * 1.02;
    let (rc, rh, rw) = histogram(&moduli, 0.0, rmax, bins, s.n);
    let rx: Vec<f64> = (1..=400).map(|k| rmax * k as f64 / 400.0).collect();
    let ry: Vec<f64> = rx.iter().map(|&r| law.radial_marginal(r)).collect();
    let cap = rh.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.6;
    let ry_shown: Vec<f64> = ry.iter().map(|&y| if y <= cap { y } else { f64::NAN }).collect();
    let radial = Plot::new(Axis::new("|λ|").domain(0.0, rmax), Axis::new("density (per N)"))
        .mark(Mark::Bars {
            x: rc,
            y: rh,
            width: rw,
            base: 0.0,
            color: Color::rgb(150, 190, 225),
            colors: Vec::new(),
            label: "eigenvalues".into(),
        })
        .series("theory", rx, ry_shown, Style::line(1))
        .height(220.0);
    // Real axis.
    let (lo, hi) = {
        let lo = reals.iter().copied().fold(law.left_edge(), f64::min);
        let hi = reals.iter().copied().fold(law.right_edge(), f64::max);
        let pad = 0.03 * (hi - lo).max(1e-6);
        (lo - pad, hi + pad)
    };
    let (xc, xh, xw) = histogram(&reals, lo, hi, bins, s.n);
    let xs: Vec<f64> = (0..=400).map(|k| lo + (hi - lo) * (k as f64 + 0.5) / 401.0).collect();
    let cap = xh.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.6;
    let xy: Vec<f64> =
        xs.iter().map(|&x| law.real_marginal(x)).map(|y| if y <= cap { y } else { f64::NAN }).collect();
    let mut real = Plot::new(Axis::new("Re λ").domain(lo, hi), Axis::new("density (per N)"))
        .mark(Mark::Bars {
            x: xc,
            y: xh,
            width: xw,
            base: 0.0,
            color: Color::rgb(150, 190, 225),
            colors: Vec::new(),
            label: "eigenvalues".into(),
        })
        .series("theory", xs, xy, Style::line(1))
        .height(220.0);
    if law.zero_mass() > 0.0 || zeros > 0 {
        real = real.vline(
            0.0,
            format!(
                "point mass at 0: {} (theory {})",
                number(zeros as f64 / s.n as f64),
                number(law.zero_mass())
            ),
            RED,
        );
    }
    Figure::new("marginals", title)
        .columns(2)
        .panel(radial.panel("Moduli |λ|"))
        .panel(real.panel("Real parts Re λ"))
        .caption(format!(
            "Histograms of the {} eigenvalues away from 0, as densities per N (they integrate to min(α, 1) = {}); red: the theory's marginals.",
            moduli.len(),
            number(law.mass())
        ))
        .caption(if law.zero_mass() > 0.0 {
            format!(
                "α < 1: J has rank P, so a fraction 1 − α = {} of the eigenvalues sits at 0 ({} measured).",
                number(law.zero_mass()),
                zeros
            )
        } else {
            "α ≥ 1: no point mass at 0.".to_string()
        })
}

fn ginibre(v: &View) -> Figure {
    let title = "Density against |z| (product Ginibre at τ = 0, α = 1)";
    let Some(s) = spec(v) else {
        return waiting(v, "spectrum", "ginibre", title, "The density against |z|", &spectrum_time(v));
    };
    let law = &s.law;
    let moduli: Vec<f64> =
        s.re.iter().zip(&s.im).zip(&s.zero).filter(|(_, z)| !**z).map(|((a, b), _)| a.hypot(*b)).collect();
    let rmax = law.max_modulus();
    // The smallest annuli hold few eigenvalues: start at 1/50 of the support.
    let rmin = moduli.iter().copied().filter(|r| *r > 0.0).fold(rmax, f64::min).max(rmax / 50.0);
    let bins = 20;
    let edges: Vec<f64> = (0..=bins).map(|k| rmin * (rmax / rmin).powf(k as f64 / bins as f64)).collect();
    let (mut ex, mut ey) = (Vec::new(), Vec::new());
    for k in 0..bins {
        let (a, b) = (edges[k], edges[k + 1]);
        let c = moduli.iter().filter(|&&r| r >= a && r < b).count();
        if c > 0 {
            ex.push((a * b).sqrt());
            ey.push(c as f64 / (s.n as f64 * std::f64::consts::PI * (b * b - a * a)));
        }
    }
    let tx: Vec<f64> = (0..=300).map(|k| rmin * (rmax / rmin).powf(k as f64 / 300.0)).collect();
    // The theory's density averaged over the circle |z| = r.
    let ty: Vec<f64> = tx
        .iter()
        .map(|&r| law.radial_marginal(r) / (2.0 * std::f64::consts::PI * r))
        .map(|y| if y > 0.0 { y } else { f64::NAN })
        .collect();
    let gx: Vec<f64> =
        (0..=100).map(|k| rmin.min(1.0) * (1.0 / rmin.min(1.0)).powf(k as f64 / 100.0)).collect();
    let gy: Vec<f64> =
        gx.iter().map(|&r| product_ginibre_density(r)).map(|y| if y > 0.0 { y } else { f64::NAN }).collect();
    let plot = Plot::new(Axis::new("|z|").log(), Axis::new("density averaged over the circle |z|").log())
        .mark(Mark::Markers {
            x: ex,
            y: ey,
            shape: Shape::Dot,
            size: 3.0,
            color: BLUE,
            label: "eigenvalues (annuli)".into(),
        })
        .series("theory at these α, τ", tx, ty, Style::line(1))
        .series("product Ginibre 1/(2π|z|)", gx, gy, Style::line(6).dashed())
        .height(240.0);
    let at_ginibre = law.tau.abs() < 1e-9 && (law.alpha - 1.0).abs() < 1e-9;
    Figure::new("ginibre", title)
        .plot("", plot)
        .control(Control::Buttons {
            buttons: vec![crate::plot::figure::Button {
                label: "τ = 0, α = 1".into(),
                title: "Set the product-Ginibre case".into(),
                action: Action::Set { values: vec![("tau".into(), "0".into()), ("alpha".into(), "1".into())] },
            }],
        })
        .caption(
            "Eigenvalues per unit area ÷ N in logarithmic annuli, against the theory's density averaged over each circle; dashed: the product of two Ginibre matrices."
                .to_string(),
        )
        .caption(if at_ginibre {
            "τ = 0, α = 1: J is a product of two independent Ginibre matrices; the density 1/(2π|z|) (slope −1) makes the moduli uniform on [0, 1].".to_string()
        } else {
            format!(
                "At τ = {}, α = {} the density is flat near 0 (its constant (1−τ²)|α−1| > 0) — the 1/|z| law is the τ = 0, α = 1 case (button above).",
                number(law.tau),
                number(law.alpha)
            )
        })
}

fn stability(v: &View) -> Figure {
    let title = "Rightmost eigenvalue against the load α";
    if !v.has("stability") {
        return waiting(
            v,
            "stability",
            "stability",
            title,
            "The rightmost eigenvalue against α",
            "a few seconds",
        );
    }
    let s = v.get("stability");
    let alpha = nums(field(s, "alpha"));
    let mean = nums(field(s, "mean"));
    let sd = nums(field(s, "sd"));
    let stable: Vec<bool> = field(s, "stable")
        .as_array()
        .map_or(Vec::new(), |a| a.iter().map(|b| b == &Json::Bool(true)).collect());
    let g = num(field(s, "g"));
    let threshold = num(field(s, "threshold"));
    let lo: Vec<f64> = mean.iter().zip(&sd).map(|(m, d)| m - d).collect();
    let hi: Vec<f64> = mean.iter().zip(&sd).map(|(m, d)| m + d).collect();
    let pick = |want: bool| -> (Vec<f64>, Vec<f64>) {
        alpha.iter().zip(&mean).zip(&stable).filter(|(_, s)| **s == want).map(|((a, m), _)| (*a, *m)).unzip()
    };
    let (sx, sy) = pick(true);
    let (ux, uy) = pick(false);
    let amax = v.params.float("alpha_max");
    let mut plot = Plot::new(Axis::new("load α = P/N").domain(0.0, amax), Axis::new("max Re λ"))
        .series("theory", nums(field(s, "curve.alpha")), nums(field(s, "curve.rightmost")), Style::line(6))
        .mark(Mark::Errors { x: alpha.clone(), lo, hi, color: GREY })
        .mark(Mark::Markers {
            x: sx,
            y: sy,
            shape: Shape::Dot,
            size: 3.5,
            color: BLUE,
            label: "stable (g·mean < 1)".into(),
        })
        .mark(Mark::Markers {
            x: ux,
            y: uy,
            shape: Shape::Square,
            size: 3.5,
            color: RED,
            label: "unstable".into(),
        })
        .hline(threshold, format!("1/g = {}", number(threshold)), RED)
        .height(240.0);
    let switches = nums(field(s, "switches"));
    for a in &switches {
        plot = plot.vline(*a, format!("α = {}", number(*a)), PURPLE);
    }
    let sw_text = if switches.is_empty() {
        "the theory's verdict does not change over this range".to_string()
    } else {
        format!(
            "the theory's stability switches at α = {}{}",
            switches.iter().map(|a| number(*a)).collect::<Vec<_>>().join(", "),
            if switches.len() >= 2 { " — non-monotonic in the number of patterns" } else { "" }
        )
    };
    Figure::new("stability", title)
        .plot("", plot)
        .control(Control::Params { keys: vec!["tau".into(), "g".into(), "scaling".into()] })
        .caption(format!(
            "τ = {}, g = {}, N = {}, {} trials per load (bars: ±1 s.d.); stable iff g · max Re λ < 1, i.e. below the line 1/g; {sw_text}.",
            number(num(field(s, "tau"))),
            number(g),
            num(field(s, "n")),
            num(field(s, "trials"))
        ))
}

fn map(v: &View) -> Figure {
    let title = "Stability map over (α, τ)";
    let p = &v.params;
    let (alphas, taus) = (sweep_alphas(p), sweep_taus(p));
    let cells: Vec<Json> = if v.has("map") {
        v.get("map").as_array().cloned().unwrap_or_default()
    } else {
        v.pieces("map").to_vec()
    };
    if cells.is_empty() {
        return waiting(v, "map", "map", title, "The stability map", "a few seconds at the default size");
    }
    let g = if v.has("map") { num(field(v.get("map_grid"), "g")) } else { p.float("g") };
    let (na, nt) = (alphas.len(), taus.len());
    let amax = p.float("alpha_max");
    let dt = if nt > 1 { 2.0 / (nt - 1) as f64 } else { 2.0 };
    // Rows from the top: the largest τ first.
    let mut values = vec![f64::NAN; na * nt];
    let mut nonmono = Vec::new();
    let mut disagree = Vec::new();
    let mut actions = vec![None; na * nt];
    let mut titles = vec![String::new(); na * nt];
    for (i, c) in cells.iter().enumerate() {
        let (j, k) = (i / na, i % na);
        if j >= nt {
            break;
        }
        let idx = (nt - 1 - j) * na + k;
        values[idx] = (g * num(field(c, "rightmost"))).clamp(0.0, 2.0);
        if field(c, "nonmonotonic") == &Json::Bool(true) {
            nonmono.push(idx);
        }
        if field(c, "stable") != field(c, "theory_stable") {
            disagree.push(idx);
        }
        titles[idx] = format!(
            "α = {}, τ = {}: g · max Re λ = {} ({}); click to show this spectrum",
            number(alphas[k]),
            number(taus[j]),
            number(g * num(field(c, "rightmost"))),
            if field(c, "stable") == &Json::Bool(true) { "stable" } else { "unstable" }
        );
        actions[idx] = Some(Action::Set {
            values: vec![("alpha".into(), format!("{}", alphas[k])), ("tau".into(), format!("{}", taus[j]))],
        });
    }
    let extent = [0.0, amax, -1.0 - dt / 2.0, 1.0 + dt / 2.0];
    let mut plot = Plot::new(
        Axis::new("load α = P/N").domain(0.0, amax),
        Axis::new("correlation τ").domain(extent[2], extent[3]),
    )
    .mark(Mark::Heatmap {
        pixels: Pixels { rows: nt, cols: na, values, cmap: Cmap::Diverging, domain: [0.0, 2.0] },
        extent,
        click: CellClick::Actions { actions, shift: Vec::new(), titles },
        smooth: false,
    })
    .colorbar(Cmap::Diverging, [0.0, 2.0], "g · max Re λ (1 = threshold)")
    .height(300.0)
    .legend(LegendPos::Below);
    if !nonmono.is_empty() {
        plot = plot.mark(Mark::Outline { rows: nt, cols: na, extent, cells: nonmono, color: BLACK });
    }
    if !disagree.is_empty() {
        let (cw, ch) = ((extent[1] - extent[0]) / na as f64, (extent[3] - extent[2]) / nt as f64);
        let (dx, dy): (Vec<f64>, Vec<f64>) = disagree
            .iter()
            .map(|&i| (extent[0] + ((i % na) as f64 + 0.5) * cw, extent[3] - ((i / na) as f64 + 0.5) * ch))
            .unzip();
        plot = plot.mark(Mark::Markers {
            x: dx,
            y: dy,
            shape: Shape::Circle,
            size: 5.0,
            color: ORANGE,
            label: "simulation ≠ theory".into(),
        });
    }
    if v.has("map") {
        let b = v.get("map_grid").get("boundary").and_then(Json::as_array).cloned().unwrap_or_default();
        let (bx, by): (Vec<f64>, Vec<f64>) =
            b.iter().map(|q| (num(field(q, "0")), num(field(q, "1")))).unzip();
        plot = plot.mark(Mark::Markers {
            x: bx,
            y: by,
            shape: Shape::Dot,
            size: 1.2,
            color: GREEN,
            label: "theory: g · right edge = 1".into(),
        });
    }
    plot = plot.mark(Mark::Markers {
        x: vec![p.float("alpha")],
        y: vec![p.float("tau")],
        shape: Shape::Cross,
        size: 6.0,
        color: BLACK,
        label: "current α, τ".into(),
    });
    let done =
        if v.has("map") { String::new() } else { format!(" ({} of {} cells so far)", cells.len(), na * nt) };
    Figure::new("map", title)
        .plot("", plot)
        .control(Control::Params { keys: vec!["g".into(), "scaling".into()] })
        .caption(format!(
            "g = {}, N = {}, {} trials per cell{done}: colour g · mean max Re λ (blue stable, red unstable); green dots: the theory's boundary; black outlines: stable although a smaller load of the same τ is unstable (non-monotonic); orange circles: the simulation's verdict differs from the theory's (finite N near the boundary). Click a cell to look at its spectrum.",
            number(g),
            p.int("sweep_n"),
            p.int("trials")
        ))
}

fn dynamics(v: &View) -> Figure {
    let title = "Activity of ẋ = −x + J tanh(g x) from small states";
    if !v.has("dynamics") {
        return waiting(
            v,
            "dynamics",
            "dynamics",
            title,
            "The simulated activity",
            "a few seconds at N = 1000",
        );
    }
    let d = v.get("dynamics");
    let tr = field(d, "trajectories");
    let t = nums(field(tr, "t"));
    let mut plot = Plot::new(Axis::new("time t"), Axis::new("RMS activity ‖x‖/√N").log()).height(240.0);
    let trajs = field(tr, "nonlinear").as_array().cloned().unwrap_or_default();
    for (k, y) in trajs.iter().enumerate() {
        plot = plot.series(
            if k == 0 { "nonlinear (3 starts)".to_string() } else { String::new() },
            t.clone(),
            nums(y),
            Style::line(0).color(if k == 0 { BLUE } else { Color::rgb(120, 170, 215) }),
        );
    }
    plot =
        plot.series("linearised ẋ = −x + gJx", t.clone(), nums(field(tr, "linear")), Style::line(7).dashed());
    let rate = num(field(d, "theory_rate"));
    // The theory's rate as a slope through the last point the linearised run reached (a
    // random start first loses its components along the decaying modes).
    let linear = nums(field(tr, "linear"));
    let anchor = t.iter().zip(&linear).rfind(|(_, y)| y.is_finite() && **y > 0.0).map(|(a, b)| (*a, *b));
    if let Some((ta, ya)) = anchor {
        let t0 = ta * 0.4;
        let rx: Vec<f64> = (0..=50).map(|k| t0 + (ta - t0) * k as f64 / 50.0).collect();
        let ry: Vec<f64> = rx
            .iter()
            .map(|&x| ya * (rate * (x - ta)).exp())
            .map(|y| if y.is_finite() && y > 1e-300 { y } else { f64::NAN })
            .collect();
        plot = plot.series(
            format!("slope of the theory's rate g·R − 1 = {}", number(rate)),
            rx,
            ry,
            Style::line(1).dashed(),
        );
    }
    let growth = nums(field(tr, "growth"));
    let grew = growth.iter().filter(|g| **g > 10.0).count();
    let decayed = growth.iter().filter(|g| **g < 0.1).count();
    let verdict = if grew == growth.len() && grew > 0 {
        "every start grew (the state 0 is unstable)"
    } else if decayed == growth.len() && decayed > 0 {
        "every start decayed (the state 0 is stable)"
    } else {
        "the starts neither clearly grew nor decayed within this time"
    };
    let theory_stable = field(d, "theory_stable") == &Json::Bool(true);
    let spectrum_rate = if v.has("spectrum") { num(v.get("rightmost")) } else { f64::NAN };
    Figure::new("dynamics", title)
        .plot("", plot)
        .control(Control::Params { keys: vec!["g".into(), "t_max".into()] })
        .caption(format!(
            "N = {}, α = {}, τ = {}, g = {}: {verdict}. Theory: g · max Re λ = {} → {}.",
            num(field(d, "n")),
            number(num(field(d, "alpha"))),
            number(num(field(d, "tau"))),
            number(num(field(d, "g"))),
            number(num(field(d, "g")) * num(field(d, "theory_rightmost"))),
            if theory_stable { "stable" } else { "unstable" }
        ))
        .caption(format!(
            "Linearised growth rate fitted on its last half: {}{}; the dashed red line has the theory's slope, through the linearised run's last point.",
            number(num(field(tr, "linear_rate"))),
            if spectrum_rate.is_finite() {
                format!(" (g · rightmost − 1 of this J: {})", number(num(field(d, "g")) * spectrum_rate - 1.0))
            } else {
                String::new()
            }
        ))
}
