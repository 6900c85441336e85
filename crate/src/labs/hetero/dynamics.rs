//! The rate network `ẋ = −x + J tanh(g x)` from small random states, next to its
//! linearisation `ẋ = −x + g J x` from the same start (RK4, both on the CPU in f64).

use crate::compute::{Mat, cpu};
use serde::Serialize;

/// The linear trajectory is not followed past this RMS (it grows without bound).
pub const LINEAR_CAP: f64 = 1e6;

/// The `dynamics` part's JSON.
#[derive(Debug, Clone, Serialize)]
pub struct Trajectories {
    /// Sampled times.
    pub t: Vec<f64>,
    /// RMS activity `‖x‖/√N` of each nonlinear trajectory at those times.
    pub nonlinear: Vec<Vec<f64>>,
    /// RMS of the linearised trajectory from the first start (null once past 10⁶).
    pub linear: Vec<Option<f64>>,
    /// Growth rate of the linear trajectory, fitted on the last half of what was followed
    /// (`d ln‖x‖/dt`); approaches `g · max Re λ(J) − 1`.
    pub linear_rate: Option<f64>,
    /// The RK4 step.
    pub dt: f64,
    pub steps: usize,
    /// RMS of the starts.
    pub start_rms: f64,
    /// Final RMS over start RMS of each nonlinear trajectory.
    pub growth: Vec<f64>,
}

fn rms(col: impl Iterator<Item = f64>, n: usize) -> f64 {
    (col.map(|x| x * x).sum::<f64>() / n as f64).sqrt()
}

/// Integrate `b` nonlinear trajectories (the columns of `x0`, `N × b`) and the linearised one
/// from column 0, for `t_max` with step `dt`, sampling about `samples` times.
pub fn simulate(
    j: &Mat<f64>,
    g: f64,
    x0: &Mat<f64>,
    t_max: f64,
    dt: f64,
    samples: usize,
    mut progress: impl FnMut(usize, usize),
) -> Trajectories {
    let (n, b) = (x0.rows, x0.cols);
    let w = b + 1;
    // State: N × (b + 1); columns 0..b nonlinear, column b linear.
    let mut x = Mat::<f64>::zeros(n, w);
    for i in 0..n {
        for k in 0..b {
            x.data[i * w + k] = x0.data[i * b + k];
        }
        x.data[i * w + b] = x0.data[i * b];
    }
    let steps = (t_max / dt).ceil().max(1.0) as usize;
    let dt = t_max / steps as f64;
    let every = steps.div_ceil(samples.max(1)).max(1);
    let mut linear_alive = true;
    // f(x) = −x + J·φ(x), with φ = tanh(g·) on the nonlinear columns and g· on the linear one.
    let field = |x: &Mat<f64>, alive: bool| -> Mat<f64> {
        let mut phi = Mat::<f64>::zeros(n, w);
        for i in 0..n {
            for k in 0..w {
                let v = x.data[i * w + k];
                phi.data[i * w + k] = if k < b {
                    (g * v).tanh()
                } else if alive {
                    g * v
                } else {
                    0.0
                };
            }
        }
        let mut f = cpu::matmul(j, &phi);
        for (fv, xv) in f.data.iter_mut().zip(&x.data) {
            *fv -= xv;
        }
        f
    };
    let column_rms = |x: &Mat<f64>, k: usize| rms((0..n).map(|i| x.data[i * w + k]), n);
    let mut out = Trajectories {
        t: Vec::new(),
        nonlinear: vec![Vec::new(); b],
        linear: Vec::new(),
        linear_rate: None,
        dt,
        steps,
        start_rms: column_rms(&x, 0),
        growth: Vec::new(),
    };
    let record = |x: &Mat<f64>, step: usize, alive: bool, out: &mut Trajectories| {
        out.t.push(step as f64 * dt);
        for k in 0..b {
            out.nonlinear[k].push(column_rms(x, k));
        }
        out.linear.push(alive.then(|| column_rms(x, b)));
    };
    record(&x, 0, true, &mut out);
    let axpy = |x: &Mat<f64>, h: f64, k: &Mat<f64>| {
        let mut y = x.clone();
        for (a, d) in y.data.iter_mut().zip(&k.data) {
            *a += h * d;
        }
        y
    };
    for step in 1..=steps {
        let k1 = field(&x, linear_alive);
        let k2 = field(&axpy(&x, 0.5 * dt, &k1), linear_alive);
        let k3 = field(&axpy(&x, 0.5 * dt, &k2), linear_alive);
        let k4 = field(&axpy(&x, dt, &k3), linear_alive);
        for i in 0..x.data.len() {
            x.data[i] += dt / 6.0 * (k1.data[i] + 2.0 * k2.data[i] + 2.0 * k3.data[i] + k4.data[i]);
        }
        if linear_alive && column_rms(&x, b).partial_cmp(&LINEAR_CAP) != Some(std::cmp::Ordering::Less) {
            linear_alive = false;
        }
        if step % every == 0 || step == steps {
            record(&x, step, linear_alive, &mut out);
            progress(step, steps);
        }
    }
    let start = out.start_rms.max(f64::MIN_POSITIVE);
    out.growth = out.nonlinear.iter().map(|v| v.last().copied().unwrap_or(0.0) / start).collect();
    // Least-squares slope of ln RMS over the last half of the followed linear samples.
    let pts: Vec<(f64, f64)> = out
        .t
        .iter()
        .zip(&out.linear)
        .filter_map(|(&t, v)| v.filter(|v| *v > 0.0).map(|v| (t, v.ln())))
        .collect();
    let half = &pts[pts.len() / 2..];
    if half.len() >= 2 {
        let m = half.len() as f64;
        let (st, sy) = half.iter().fold((0.0, 0.0), |(a, b), p| (a + p.0, b + p.1));
        let (mt, my) = (st / m, sy / m);
        let (num, den) =
            half.iter().fold((0.0, 0.0), |(a, b), p| (a + (p.0 - mt) * (p.1 - my), b + (p.0 - mt).powi(2)));
        if den > 0.0 {
            out.linear_rate = Some(num / den);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_trajectory_of_a_diagonal_matrix_is_an_exponential() {
        // J = diag(λ): x_i(t) = x_i(0) e^{(gλ_i − 1)t}; the slow mode dominates the rate.
        let n = 3;
        let lam = [0.5, -1.0, 0.2];
        let g = 1.5;
        let mut j = Mat::<f64>::zeros(n, n);
        for (i, &l) in lam.iter().enumerate() {
            j.data[i * n + i] = l;
        }
        let x0 = Mat { rows: n, cols: 1, data: vec![1e-3, 2e-3, -1e-3] };
        let tr = simulate(&j, g, &x0, 10.0, 0.05, 50, |_, _| {});
        let t = *tr.t.last().expect("samples");
        let exact = (0..n).map(|i| (x0.data[i] * ((g * lam[i] - 1.0) * t).exp()).powi(2)).sum::<f64>().sqrt()
            / (n as f64).sqrt();
        let got = tr.linear.last().copied().flatten().expect("followed");
        assert!((got - exact).abs() < 1e-6 * exact, "{got} vs {exact}");
        let rate = tr.linear_rate.expect("rate");
        assert!((rate - (g * 0.5 - 1.0)).abs() < 0.01, "{rate}");
        // Small states: the nonlinear trajectory follows the linear one while tanh ≈ identity.
        assert!((tr.nonlinear[0][1] - tr.linear[1].expect("first sample")).abs() < 1e-3 * tr.nonlinear[0][1]);
    }

    #[test]
    fn unstable_linear_growth_is_capped_and_tanh_saturates() {
        // J = 3·I, g = 1: linear rate 2 (e^{2·20} ≫ 10⁶), the nonlinear state settles at tanh's fixed point.
        let n = 4;
        let mut j = Mat::<f64>::zeros(n, n);
        for i in 0..n {
            j.data[i * n + i] = 3.0;
        }
        let x0 = Mat { rows: n, cols: 2, data: vec![1e-3; 2 * n] };
        let tr = simulate(&j, 1.0, &x0, 20.0, 0.05, 40, |_, _| {});
        assert!(tr.linear.last().expect("samples").is_none(), "linear not capped");
        let x_star = {
            // x = 3 tanh(x), x > 0.
            let mut x = 3.0f64;
            for _ in 0..200 {
                x = 3.0 * x.tanh();
            }
            x
        };
        let last = *tr.nonlinear[0].last().expect("samples");
        assert!((last - x_star).abs() < 1e-6, "{last} vs {x_star}");
        assert!(tr.growth[0] > 1e3);
    }
}
