//! The energy landscape of a planar system on a grid: energy values (two energies side
//! by side, as in Figure 1), their level sets, the flat regions, the dead-neuron count
//! and (optionally) streamlines of the flow.
//!
//! Grid: `grid × grid` points, row 0 at `y_max` (image order), column 0 at `x_min`,
//! both ends included. A point is *flat* for an energy when the energy's gradient is
//! negligible next to the flow, `‖∇E‖ ≤ flat_tol · ‖F‖`, while the flow itself is not
//! zero (`‖F‖ > 1e-9·(1 + max‖F‖)`): there the energy does not tell where the state goes.

use super::fixed::dead_count2;
use super::lyapunov::{Guarantee, guarantee};
use super::system::{Energy, System, Work};
use crate::plot::contour::{GridFrame, contour_segments, levels, robust_range};
use crate::plot::streamlines::{StreamOptions, streamlines};
use serde::Serialize;

/// What to compute.
#[derive(Debug, Clone, Copy)]
pub struct LandscapeOptions {
    /// `[x_min, x_max, y_min, y_max]`.
    pub extent: [f64; 4],
    /// Points per axis.
    pub grid: usize,
    pub flat_tol: f64,
    pub dead_tol: f64,
    pub streamlines: bool,
    /// Number of contour levels.
    pub levels: usize,
}

/// One energy over the grid.
#[derive(Debug, Clone, Serialize)]
pub struct EnergyMap {
    pub energy: Energy,
    pub label: &'static str,
    /// Row-major values (non-finite where the energy overflows).
    pub values: Vec<f64>,
    /// Colour range: the 2nd and 98th percentiles.
    pub lo: f64,
    pub hi: f64,
    /// `linear`, or `sqrt` for the non-negative E3 (colour by `√E`, i.e. by ‖f‖).
    pub color_scale: &'static str,
    pub levels: Vec<f64>,
    /// Per level, segments `[x1, y1, x2, y2, …]`.
    pub contours: Vec<Vec<f64>>,
    /// Row-major 0/1: flat (see the module docs).
    pub flat: Vec<u8>,
    /// Share of grid points that are flat.
    pub flat_fraction: f64,
    /// Whether the source proves this energy non-increasing along the chosen dynamics.
    pub guarantee: Guarantee,
}

/// The whole landscape part.
#[derive(Debug, Clone, Serialize)]
pub struct Landscape {
    pub grid: usize,
    pub extent: [f64; 4],
    pub a: EnergyMap,
    pub b: EnergyMap,
    /// Row-major dead-neuron count `dim null Λ` at every grid point.
    pub dead: Vec<u8>,
    /// Streamlines of the flow, each `[x0, y0, x1, y1, …]` (empty unless asked for).
    pub streamlines: Vec<Vec<f64>>,
}

fn energy_map(
    sys: &System,
    energy: Energy,
    pts: &[[f64; 2]],
    flow: &[[f64; 2]],
    flow_floor: f64,
    frame: &GridFrame,
    opts: &LandscapeOptions,
) -> EnergyMap {
    let mut work = Work::new(2);
    let mut grad = [0.0; 2];
    let mut values = Vec::with_capacity(pts.len());
    let mut flat = Vec::with_capacity(pts.len());
    for (p, f) in pts.iter().zip(flow) {
        values.push(sys.energy(energy, p, &mut work));
        sys.energy_grad(energy, p, &mut grad, &mut work);
        let nf = f[0].hypot(f[1]);
        let ng = grad[0].hypot(grad[1]);
        flat.push(u8::from(nf > flow_floor && ng <= opts.flat_tol * nf));
    }
    let sqrt_scale = energy == Energy::E3;
    let (lo, hi) = robust_range(&values);
    let lv = levels(lo, hi, opts.levels, sqrt_scale);
    let contours = lv.iter().map(|&l| contour_segments(&values, frame, l)).collect();
    let flat_fraction = flat.iter().map(|&v| f64::from(v)).sum::<f64>() / flat.len().max(1) as f64;
    EnergyMap {
        energy,
        label: energy.label(sys.dynamics),
        values,
        lo,
        hi,
        color_scale: if sqrt_scale { "sqrt" } else { "linear" },
        levels: lv,
        contours,
        flat,
        flat_fraction,
        guarantee: guarantee(sys, energy),
    }
}

/// Compute the landscape of energies `a` and `b` (each must fit the dynamics).
pub fn landscape(sys: &System, a: Energy, b: Energy, opts: &LandscapeOptions) -> Landscape {
    let g = opts.grid.max(2);
    let [x0, x1, y0, y1] = opts.extent;
    let frame = GridFrame { rows: g, cols: g, x_left: x0, x_right: x1, y_top: y1, y_bottom: y0 };
    let mut pts = Vec::with_capacity(g * g);
    for r in 0..g {
        for c in 0..g {
            let (x, y) = frame.point(r as f64, c as f64);
            pts.push([x, y]);
        }
    }
    let mut work = Work::new(2);
    let mut flow = Vec::with_capacity(pts.len());
    let mut dead = Vec::with_capacity(pts.len());
    let mut f = [0.0; 2];
    let mut biggest = 0.0f64;
    for p in &pts {
        sys.rhs(p, &mut f, &mut work);
        let m = f[0].hypot(f[1]);
        if m.is_finite() {
            biggest = biggest.max(m);
        }
        flow.push(f);
        dead.push(dead_count2(&sys.hessian_at(p), opts.dead_tol) as u8);
    }
    let floor = 1e-9 * (1.0 + biggest);
    let ma = energy_map(sys, a, &pts, &flow, floor, &frame, opts);
    let mb = energy_map(sys, b, &pts, &flow, floor, &frame, opts);
    let lines = if opts.streamlines {
        let mut w = Work::new(2);
        let mut field = |x: f64, y: f64| {
            let mut o = [0.0; 2];
            sys.rhs(&[x, y], &mut o, &mut w);
            (o[0], o[1])
        };
        streamlines(&mut field, &StreamOptions { extent: opts.extent, ..StreamOptions::default() })
    } else {
        Vec::new()
    };
    Landscape { grid: g, extent: opts.extent, a: ma, b: mb, dead, streamlines: lines }
}

#[cfg(test)]
mod tests {
    use super::super::lagrangian::Lagrangian;
    use super::super::system::Dynamics;
    use super::*;

    fn opts(extent: [f64; 4]) -> LandscapeOptions {
        LandscapeOptions { extent, grid: 41, flat_tol: 0.02, dead_tol: 1e-9, streamlines: true, levels: 12 }
    }

    #[test]
    fn relu_kh_energy_is_flat_where_both_neurons_are_dead_and_e3_is_not() {
        let s = System::new(2, vec![0.0, -2.0, -2.0, 0.0], vec![1.0, 1.0], Lagrangian::Relu, Dynamics::Kh)
            .expect("valid");
        let l = landscape(&s, Energy::Kh, Energy::E3, &opts([-3.0, 3.0, -3.0, 3.0]));
        let g = l.grid;
        // Bottom-left quadrant (y1, y2 < 0): KH energy is exactly 0 and flat, both neurons dead.
        for r in g * 3 / 4..g {
            for c in 0..g / 4 {
                let k = r * g + c;
                assert_eq!(l.a.values[k], 0.0);
                assert_eq!(l.a.flat[k], 1, "row {r} col {c}");
                assert_eq!(l.b.flat[k], 0);
                assert_eq!(l.dead[k], 2);
            }
        }
        assert!(
            l.a.flat_fraction > 0.2 && l.b.flat_fraction < 0.01,
            "{} {}",
            l.a.flat_fraction,
            l.b.flat_fraction
        );
        assert!(l.a.contours.iter().any(|c| !c.is_empty()));
        assert!(!l.streamlines.is_empty());
        assert!(l.a.guarantee.proven && !l.b.guarantee.proven);
    }
}
