//! Evenly spaced streamlines of a planar vector field (a simplified Jobard–Lefer
//! scheme): seeds on a regular lattice, each line traced forwards and backwards along
//! the unit direction field with midpoint steps, and stopped when it leaves the window,
//! reaches a zero of the field, closes on itself, or comes closer than the separation
//! to another line (an occupancy grid with cells of the separation's size).

/// The plane window and the spacing of the streamlines.
#[derive(Debug, Clone, Copy)]
pub struct StreamOptions {
    /// `[x_min, x_max, y_min, y_max]`.
    pub extent: [f64; 4],
    /// Seeds per axis of the lattice.
    pub seeds: usize,
    /// Minimum distance between lines, as a fraction of the window width.
    pub separation: f64,
    /// Step length, as a fraction of the window width.
    pub step: f64,
    /// Points per direction at most.
    pub max_points: usize,
}

impl Default for StreamOptions {
    fn default() -> Self {
        Self { extent: [-1.0, 1.0, -1.0, 1.0], seeds: 24, separation: 0.03, step: 0.004, max_points: 2000 }
    }
}

struct Occupancy {
    nx: usize,
    ny: usize,
    /// Per cell: owning line + 1 (0: free) and the claim tag `2·step + direction`.
    cells: Vec<(u32, u32)>,
    ext: [f64; 4],
    /// Steps during which a line may stay in cells it claimed itself.
    grace: u32,
}

impl Occupancy {
    fn cell(&self, x: f64, y: f64) -> Option<usize> {
        let fx = (x - self.ext[0]) / (self.ext[1] - self.ext[0]);
        let fy = (y - self.ext[2]) / (self.ext[3] - self.ext[2]);
        if !(0.0..1.0).contains(&fx) || !(0.0..1.0).contains(&fy) {
            return None;
        }
        let cx = ((fx * self.nx as f64) as usize).min(self.nx - 1);
        let cy = ((fy * self.ny as f64) as usize).min(self.ny - 1);
        Some(cy * self.nx + cx)
    }

    /// May line `id`, at step `k` of direction `dir`, enter cell `c`? Claims it if free.
    fn enter(&mut self, c: usize, id: u32, k: u32, dir: u32) -> bool {
        let (owner, tag) = self.cells[c];
        if owner == 0 {
            self.cells[c] = (id + 1, 2 * k + dir);
            return true;
        }
        if owner != id + 1 {
            return false;
        }
        let (k0, d0) = (tag / 2, tag % 2);
        if d0 == dir { k - k0 <= self.grace } else { k0 <= self.grace && k <= self.grace }
    }
}

/// Trace one direction (`dir` 0 forwards, 1 backwards) from `start`; the points after the start.
#[allow(clippy::too_many_arguments)]
fn trace(
    field: &mut dyn FnMut(f64, f64) -> (f64, f64),
    occ: &mut Occupancy,
    id: u32,
    start: (f64, f64),
    dir: u32,
    h: f64,
    max_points: usize,
    tiny: f64,
) -> Vec<(f64, f64)> {
    let sign = if dir == 0 { 1.0 } else { -1.0 };
    let mut unit = |x: f64, y: f64| -> Option<(f64, f64)> {
        let (u, v) = field(x, y);
        let m = u.hypot(v);
        if m.is_nan() || m <= tiny || !m.is_finite() { None } else { Some((sign * u / m, sign * v / m)) }
    };
    let mut out = Vec::new();
    let (mut x, mut y) = start;
    for k in 1..=max_points as u32 {
        let Some((u1, v1)) = unit(x, y) else { break };
        let Some((u2, v2)) = unit(x + 0.5 * h * u1, y + 0.5 * h * v1) else { break };
        let (nx, ny) = (x + h * u2, y + h * v2);
        let Some(c) = occ.cell(nx, ny) else { break };
        if !occ.enter(c, id, k, dir) {
            break;
        }
        x = nx;
        y = ny;
        out.push((x, y));
        // Back at the seed: a closed orbit.
        if k > 8 && (x - start.0).hypot(y - start.1) < h {
            break;
        }
    }
    out
}

/// Streamlines of `field` as flat polylines `[x0, y0, x1, y1, …]` (at least 3 points each).
/// `field(x, y)` returns the vector at a point; zeros and non-finite values end a line.
pub fn streamlines(field: &mut dyn FnMut(f64, f64) -> (f64, f64), opts: &StreamOptions) -> Vec<Vec<f64>> {
    let ext = opts.extent;
    let width = ext[1] - ext[0];
    let height = ext[3] - ext[2];
    if !(width > 0.0 && height > 0.0) || opts.seeds == 0 {
        return Vec::new();
    }
    let sep = (opts.separation * width).max(1e-12);
    let nx = ((width / sep).ceil() as usize).clamp(1, 2000);
    let ny = ((height / sep).ceil() as usize).clamp(1, 2000);
    let h = opts.step * width;
    let grace = (2.0 * sep / h.max(1e-300)).ceil().min(1e6) as u32 + 2;
    let mut occ = Occupancy { nx, ny, cells: vec![(0, 0); nx * ny], ext, grace };
    // The field's typical size, to tell a zero of the field from a slow region.
    let mut typical = 0.0f64;
    for i in 0..8 {
        for j in 0..8 {
            let (u, v) =
                field(ext[0] + (i as f64 + 0.5) / 8.0 * width, ext[2] + (j as f64 + 0.5) / 8.0 * height);
            let m = u.hypot(v);
            if m.is_finite() {
                typical = typical.max(m);
            }
        }
    }
    let tiny = 1e-9 * typical.max(1e-300);
    let mut lines = Vec::new();
    let mut id = 0u32;
    for sj in 0..opts.seeds {
        for si in 0..opts.seeds {
            let sx = ext[0] + (si as f64 + 0.5) / opts.seeds as f64 * width;
            let sy = ext[2] + (sj as f64 + 0.5) / opts.seeds as f64 * height;
            let Some(c) = occ.cell(sx, sy) else { continue };
            if occ.cells[c].0 != 0 {
                continue;
            }
            occ.cells[c] = (id + 1, 0);
            let fwd = trace(field, &mut occ, id, (sx, sy), 0, h, opts.max_points, tiny);
            let back = trace(field, &mut occ, id, (sx, sy), 1, h, opts.max_points, tiny);
            id += 1;
            if fwd.len() + back.len() + 1 < 3 {
                continue;
            }
            let mut line = Vec::with_capacity(2 * (fwd.len() + back.len() + 1));
            for &(x, y) in back.iter().rev() {
                line.extend_from_slice(&[x, y]);
            }
            line.extend_from_slice(&[sx, sy]);
            for &(x, y) in &fwd {
                line.extend_from_slice(&[x, y]);
            }
            lines.push(line);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamlines_of_a_rotation_are_circles() {
        let mut field = |x: f64, y: f64| (-y, x);
        let lines = streamlines(&mut field, &StreamOptions::default());
        assert!(lines.len() > 5, "{}", lines.len());
        for l in &lines {
            let r0 = l[0].hypot(l[1]);
            for p in l.chunks(2) {
                assert!((p[0].hypot(p[1]) - r0).abs() < 1e-3 + 0.01 * r0, "not a circle");
            }
        }
    }

    #[test]
    fn streamlines_stop_at_a_sink_and_keep_their_distance() {
        let mut field = |x: f64, y: f64| (-x, -y);
        let opts = StreamOptions { seeds: 12, ..StreamOptions::default() };
        let lines = streamlines(&mut field, &opts);
        assert!(!lines.is_empty());
        let total: usize = lines.iter().map(|l| l.len() / 2).sum();
        // Lines run radially; the occupancy grid keeps them from piling up at the sink.
        assert!(total < 12 * 12 * 200, "{total}");
        for l in &lines {
            assert!(l.iter().all(|v| v.is_finite() && v.abs() <= 1.0));
        }
        let mut bad = |_: f64, _: f64| (f64::NAN, 0.0);
        assert!(streamlines(&mut bad, &opts).is_empty());
    }
}
