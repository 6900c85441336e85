//! Particle trails in an RGBA pixel buffer: every frame fades the buffer's alpha and
//! stamps each particle as one opaque pixel, so moving particles leave fading trails.
//! The page puts the buffer on a transparent canvas above the energy heatmap with
//! `putImageData` — one call per frame, whatever the particle count.

/// Multiply every pixel's alpha by `keep / 256` (trails fade geometrically; 0 clears).
pub fn fade(rgba: &mut [u8], keep: u8) {
    let k = u16::from(keep);
    for px in rgba.chunks_exact_mut(4) {
        px[3] = ((u16::from(px[3]) * k) >> 8) as u8;
    }
}

/// Where the buffer lies in the plane and how large it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Raster {
    pub width: usize,
    pub height: usize,
    /// `[x_min, x_max, y_min, y_max]`; `y_max` is the top row.
    pub extent: [f64; 4],
}

impl Raster {
    /// The pixel index of plane point `(x, y)`, if inside.
    pub fn index(&self, x: f64, y: f64) -> Option<usize> {
        let [x0, x1, y0, y1] = self.extent;
        let fx = (x - x0) / (x1 - x0);
        let fy = (y1 - y) / (y1 - y0);
        if !(0.0..1.0).contains(&fx) || !(0.0..1.0).contains(&fy) {
            return None;
        }
        let px = ((fx * self.width as f64) as usize).min(self.width - 1);
        let py = ((fy * self.height as f64) as usize).min(self.height - 1);
        Some(py * self.width + px)
    }
}

/// Stamp the particles `positions = [x0, y0, x1, y1, …]` whose `keep(i)` is true in `rgb`
/// (fully opaque). Returns how many landed inside the raster.
pub fn stamp(
    rgba: &mut [u8],
    raster: &Raster,
    positions: &[f32],
    rgb: [u8; 3],
    keep: impl Fn(usize) -> bool,
) -> usize {
    let mut inside = 0;
    if rgba.len() < raster.width * raster.height * 4 {
        return 0;
    }
    for (i, p) in positions.chunks_exact(2).enumerate() {
        if !keep(i) {
            continue;
        }
        if let Some(k) = raster.index(f64::from(p[0]), f64::from(p[1])) {
            rgba[4 * k..4 * k + 4].copy_from_slice(&[rgb[0], rgb[1], rgb[2], 255]);
            inside += 1;
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trails_fade_and_particles_land_on_their_pixels() {
        let raster = Raster { width: 4, height: 2, extent: [0.0, 4.0, 0.0, 2.0] };
        let mut buf = vec![0u8; 4 * 8];
        // (0.5, 1.5) is the top-left pixel; (3.5, 0.5) the bottom-right; (9, 9) is outside.
        let n = stamp(&mut buf, &raster, &[0.5, 1.5, 3.5, 0.5, 9.0, 9.0], [10, 20, 30], |_| true);
        assert_eq!(n, 2);
        assert_eq!(&buf[0..4], &[10, 20, 30, 255]);
        assert_eq!(&buf[28..32], &[10, 20, 30, 255]);
        fade(&mut buf, 128);
        assert_eq!(buf[3], 127);
        fade(&mut buf, 0);
        assert!(buf.chunks(4).all(|p| p[3] == 0));
        assert_eq!(stamp(&mut buf, &raster, &[0.5, 1.5], [1, 1, 1], |_| false), 0);
    }
}
