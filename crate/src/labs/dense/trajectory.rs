//! One trajectory with its energies: the Lyapunov monitor.
//!
//! Every accepted step is checked for an increase of every energy defined on the
//! state space ([`Monitor`]); the stored path is thinned to at most `2·max_points`
//! states (every k-th step, k doubling as needed, the last state always kept), so long
//! runs stay small while no increase is missed.

use super::integrate::{Limits, Method, Stats, integrate};
use super::lyapunov::{Guarantee, Increase, Monitor, guarantee};
use super::system::{Energy, System, Work};
use serde::Serialize;

/// One energy along the trajectory.
#[derive(Debug, Clone, Serialize)]
pub struct EnergyTrace {
    pub energy: Energy,
    pub label: &'static str,
    /// At the stored states.
    pub values: Vec<f64>,
    /// Increases over all accepted steps (not only the stored ones).
    pub increase_count: usize,
    /// The first increases (step index counts every accepted step from 0 = start).
    pub increases: Vec<Increase>,
    pub largest_increase: f64,
    pub guarantee: Guarantee,
}

/// A recorded trajectory.
#[derive(Debug, Clone, Serialize)]
pub struct Recording {
    /// The integrator and its step or tolerance, in words.
    pub integrator: String,
    pub method: Method,
    pub stats: Stats,
    /// Why it ended, in words.
    pub stop_reason: &'static str,
    /// Times of the stored states.
    pub t: Vec<f64>,
    /// Stored states, row per state (not serialised: the JSON of the planar part gives `x`, `y`).
    #[serde(skip)]
    pub states: Vec<Vec<f64>>,
    /// Every energy defined on the state space, the chosen one first.
    pub energies: Vec<EnergyTrace>,
    /// `‖f‖` (the residual of the memory) at the last state.
    pub final_residual: f64,
}

/// Integrate `sys` from `x0` to `t_end`, watching `chosen` and every other energy that fits.
pub fn record(
    sys: &System,
    chosen: Energy,
    x0: &[f64],
    t_end: f64,
    method: Method,
    limits: &Limits,
    max_points: usize,
) -> Recording {
    let mut kinds: Vec<Energy> = vec![chosen];
    kinds.extend(Energy::available(sys.dynamics).iter().copied().filter(|&e| e != chosen));
    kinds.retain(|e| e.fits(sys.dynamics));
    let mut monitors: Vec<Monitor> = kinds.iter().map(|_| Monitor::default()).collect();
    let mut values: Vec<Vec<f64>> = kinds.iter().map(|_| Vec::new()).collect();
    let (mut ts, mut states) = (Vec::new(), Vec::new());
    let mut stride = 1usize;
    let mut step = 0usize;
    let mut last: (f64, Vec<f64>, Vec<f64>) = (0.0, x0.to_vec(), Vec::new());
    let cap = max_points.max(2);
    let mut work = Work::new(sys.n);
    let mut ework = Work::new(sys.n);
    let stats = integrate(&mut |x, o| sys.rhs(x, o, &mut work), x0, t_end, method, limits, &mut |t, x| {
        let es: Vec<f64> = kinds.iter().map(|&k| sys.energy(k, x, &mut ework)).collect();
        for (m, &e) in monitors.iter_mut().zip(&es) {
            m.push(t, e);
        }
        if step.is_multiple_of(stride) {
            ts.push(t);
            states.push(x.to_vec());
            for (v, &e) in values.iter_mut().zip(&es) {
                v.push(e);
            }
            if ts.len() >= 2 * cap {
                let keep = |v: &mut Vec<f64>| *v = v.iter().step_by(2).copied().collect();
                keep(&mut ts);
                states = states.iter().step_by(2).cloned().collect();
                values.iter_mut().for_each(keep);
                stride *= 2;
            }
            last.2.clear();
        } else {
            last = (t, x.to_vec(), es);
        }
        step += 1;
    });
    if !last.2.is_empty() {
        ts.push(last.0);
        states.push(last.1);
        for (v, &e) in values.iter_mut().zip(&last.2) {
            v.push(e);
        }
    }
    let end = states.last().cloned().unwrap_or_else(|| x0.to_vec());
    let mut r = vec![0.0; sys.n];
    sys.residual(&end, &mut r, &mut work);
    let energies = kinds
        .iter()
        .zip(monitors)
        .zip(values)
        .map(|((&k, m), v)| EnergyTrace {
            energy: k,
            label: k.label(sys.dynamics),
            values: v,
            increase_count: m.count(),
            largest_increase: m.largest,
            increases: m.first,
            guarantee: guarantee(sys, k),
        })
        .collect();
    Recording {
        integrator: method.describe(),
        method,
        stats,
        stop_reason: stats.stop.explain(),
        t: ts,
        states,
        energies,
        final_residual: r.iter().map(|v| v * v).sum::<f64>().sqrt(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::integrate::Stop;
    use super::super::lagrangian::Lagrangian;
    use super::super::system::Dynamics;
    use super::*;

    fn figure1(d: Dynamics) -> System {
        System::new(2, vec![0.0, -2.0, -2.0, 0.0], vec![1.0, 1.0], Lagrangian::Relu, d).expect("valid")
    }

    #[test]
    fn trajectory_reaches_a_memory_with_a_non_increasing_kh_energy() {
        let r = record(
            &figure1(Dynamics::Kh),
            Energy::Kh,
            &[-1.5, 2.0],
            20.0,
            Method::Dopri { tol: 1e-9 },
            &Limits::default(),
            1000,
        );
        assert_eq!(r.stats.stop, Stop::Finished);
        let end = r.states.last().expect("states");
        assert!((end[0] + 1.0).abs() < 1e-6 && (end[1] - 1.0).abs() < 1e-6, "{end:?}");
        assert_eq!(r.energies[0].energy, Energy::Kh);
        assert_eq!(r.energies[0].increase_count, 0);
        assert_eq!(r.energies.len(), 2);
        assert_eq!(r.t.len(), r.states.len());
        assert!(r.final_residual < 1e-6);
    }

    #[test]
    fn long_runs_are_thinned_but_keep_the_end() {
        let r = record(
            &figure1(Dynamics::Kh),
            Energy::E3,
            &[2.0, 2.5],
            50.0,
            Method::Rk4 { dt: 0.001 },
            &Limits::default(),
            300,
        );
        assert_eq!(r.stats.steps, 50_000);
        assert!(r.t.len() <= 601 && r.t.len() >= 300, "{}", r.t.len());
        assert_eq!(r.t.last().copied(), Some(50.0));
        assert_eq!(r.energies[0].values.len(), r.t.len());
    }

    #[test]
    fn the_monitor_flags_the_printed_modified_dynamics() {
        let r = record(
            &figure1(Dynamics::Mod),
            Energy::E3,
            &[0.8, -0.4],
            5.0,
            Method::Dopri { tol: 1e-10 },
            &Limits::default(),
            1000,
        );
        assert!(r.energies[0].increase_count > 0);
        assert!(!r.energies[0].guarantee.proven);
        assert!(r.energies[0].increases[0].delta > 0.0);
    }

    #[test]
    fn a_stiff_system_stops_rk4_and_says_so_while_dopri_copes() {
        // ẏ = (W − I) y + b with W = −900 I: the solution settles, but RK4 with h·λ = −9 is unstable.
        let s = System::new(
            2,
            vec![-900.0, 0.0, 0.0, -900.0],
            vec![1.0, 1.0],
            Lagrangian::Identity,
            Dynamics::Kh,
        )
        .expect("valid");
        let r = record(&s, Energy::Kh, &[0.1, 0.2], 10.0, Method::Rk4 { dt: 0.01 }, &Limits::default(), 100);
        assert_eq!(r.stats.stop, Stop::UnstableStep);
        assert!(r.stop_reason.starts_with("stopped"));
        assert!(r.states.iter().flatten().all(|v| v.is_finite()));
        let r =
            record(&s, Energy::Kh, &[0.1, 0.2], 10.0, Method::Dopri { tol: 1e-6 }, &Limits::default(), 100);
        assert_eq!(r.stats.stop, Stop::Finished);
        assert!(r.final_residual < 1e-3, "{}", r.final_residual);
    }
}
