//! The points the lab clusters: a seeded Gaussian mixture, points drawn by hand, a
//! sample of an image's colours; the shipped sample image; and the parsers for a
//! visitor's own data (CSV points, PNG or RGBA images), tested natively.

// Index loops over parallel buffers read like the formulas.
#![allow(clippy::needless_range_loop)]

use crate::compute::Mat;
use crate::rng::{Rng, choose_distinct, normal};

/// The sample image (`crate/scripts/make_sample_image.py`): scikit-image's `coffee.png`
/// (CC0, photograph by Rachel Michetti, courtesy of Pikolo Espresso Bar), box-averaged
/// from 600×400 to 96×64, 8-bit RGB PNG.
static SAMPLE_PNG: &[u8] = include_bytes!("../../../assets/coffee96x64.png");

/// Credit line of the sample image.
pub const SAMPLE_CREDIT: &str = "coffee.png from scikit-image 0.26.0 (CC0, photograph by Rachel Michetti, courtesy of Pikolo Espresso Bar), box-averaged to 96×64";

/// Largest image clustered whole (pixels); larger ones are box-averaged down to fit.
pub const MAX_IMAGE_PIXELS: usize = 128 * 128;
/// Largest image decoded at all (pixels).
pub const MAX_DECODE_PIXELS: usize = 4096 * 4096;
/// Most points a CSV file may hold.
pub const MAX_CSV_POINTS: usize = 100_000;
/// Most coordinates per CSV point.
pub const MAX_CSV_DIM: usize = 64;

/// An 8-bit RGB image, row-major, row 0 at the top.
#[derive(Debug, Clone, PartialEq)]
pub struct RgbImage {
    pub width: usize,
    pub height: usize,
    /// `3·width·height` bytes.
    pub rgb: Vec<u8>,
}

impl RgbImage {
    /// Pixels as points in `[0, 1]³` (`width·height × 3`).
    pub fn points(&self) -> Mat<f64> {
        Mat {
            rows: self.width * self.height,
            cols: 3,
            data: self.rgb.iter().map(|&v| f64::from(v) / 255.0).collect(),
        }
    }

    /// From RGBA bytes (what a browser canvas gives): alpha is composited over white.
    /// Images over [`MAX_IMAGE_PIXELS`] are box-averaged down; the notice says so.
    pub fn from_rgba(width: usize, height: usize, rgba: &[u8]) -> Result<(Self, Option<String>), String> {
        if width == 0 || height == 0 {
            return Err(format!("the image is empty ({width}×{height})"));
        }
        let pixels = width.checked_mul(height).filter(|&p| p <= MAX_DECODE_PIXELS).ok_or_else(|| {
            format!("the image is {width}×{height}: more than the {MAX_DECODE_PIXELS} pixels this page reads")
        })?;
        if rgba.len() != 4 * pixels {
            return Err(format!("{width}×{height} RGBA needs {} bytes, got {}", 4 * pixels, rgba.len()));
        }
        let rgb = rgba
            .chunks_exact(4)
            .flat_map(|p| {
                let a = u32::from(p[3]);
                [0, 1, 2].map(|c| ((u32::from(p[c]) * a + 255 * (255 - a) + 127) / 255) as u8)
            })
            .collect();
        Ok(Self { width, height, rgb }.fit())
    }

    /// Decode a PNG file (any colour type and depth; 16-bit is reduced to 8; alpha is
    /// composited over white); images over [`MAX_IMAGE_PIXELS`] are box-averaged down.
    pub fn from_png(bytes: &[u8]) -> Result<(Self, Option<String>), String> {
        let mut dec = png::Decoder::new(std::io::Cursor::new(bytes));
        dec.set_transformations(png::Transformations::normalize_to_color8());
        let header = dec.read_header_info().map_err(|e| format!("not a readable PNG file: {e}"))?;
        let (w, h) = (header.width as usize, header.height as usize);
        if w.saturating_mul(h) > MAX_DECODE_PIXELS {
            return Err(format!(
                "the image is {w}×{h}: more than the {MAX_DECODE_PIXELS} pixels this page reads"
            ));
        }
        let mut reader = dec.read_info().map_err(|e| format!("not a readable PNG file: {e}"))?;
        let size = reader.output_buffer_size().ok_or("the PNG is too large to decode")?;
        let mut buf = vec![0; size];
        let info =
            reader.next_frame(&mut buf).map_err(|e| format!("the PNG's pixels did not decode: {e}"))?;
        let (w, h) = (info.width as usize, info.height as usize);
        let channels = match info.color_type {
            png::ColorType::Grayscale => 1,
            png::ColorType::GrayscaleAlpha => 2,
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            png::ColorType::Indexed => return Err("the PNG's palette was not expanded".into()),
        };
        let line = info.line_size;
        let mut rgba = Vec::with_capacity(4 * w * h);
        for y in 0..h {
            let row = buf
                .get(y * line..y * line + w * channels)
                .ok_or("the PNG's rows are shorter than its header")?;
            for p in row.chunks_exact(channels) {
                rgba.extend_from_slice(&match channels {
                    1 => [p[0], p[0], p[0], 255],
                    2 => [p[0], p[0], p[0], p[1]],
                    3 => [p[0], p[1], p[2], 255],
                    _ => [p[0], p[1], p[2], p[3]],
                });
            }
        }
        Self::from_rgba(w, h, &rgba)
    }

    /// Box-average down (keeping the aspect ratio) when over [`MAX_IMAGE_PIXELS`].
    fn fit(self) -> (Self, Option<String>) {
        let pixels = self.width * self.height;
        if pixels <= MAX_IMAGE_PIXELS {
            return (self, None);
        }
        let scale = (MAX_IMAGE_PIXELS as f64 / pixels as f64).sqrt();
        let nw = ((self.width as f64 * scale).floor() as usize).max(1);
        let nh = ((self.height as f64 * scale).floor() as usize).max(1);
        let small = self.box_resize(nw, nh);
        let note = format!(
            "the image is {}×{} ({} pixels); it was averaged down to {nw}×{nh} to stay within {MAX_IMAGE_PIXELS} pixels",
            self.width, self.height, pixels
        );
        (small, Some(note))
    }

    /// Area-weighted average of each output pixel's footprint.
    pub fn box_resize(&self, nw: usize, nh: usize) -> Self {
        let (sx, sy) = (self.width as f64 / nw as f64, self.height as f64 / nh as f64);
        let mut rgb = Vec::with_capacity(3 * nw * nh);
        for oy in 0..nh {
            let (y0, y1) = (oy as f64 * sy, (oy + 1) as f64 * sy);
            for ox in 0..nw {
                let (x0, x1) = (ox as f64 * sx, (ox + 1) as f64 * sx);
                let (mut acc, mut area) = ([0.0f64; 3], 0.0);
                for y in (y0.floor() as usize)..(y1.ceil() as usize).min(self.height) {
                    let wy = (y as f64 + 1.0).min(y1) - (y as f64).max(y0);
                    for x in (x0.floor() as usize)..(x1.ceil() as usize).min(self.width) {
                        let wt = wy * ((x as f64 + 1.0).min(x1) - (x as f64).max(x0));
                        let p = 3 * (y * self.width + x);
                        for c in 0..3 {
                            acc[c] += wt * f64::from(self.rgb[p + c]);
                        }
                        area += wt;
                    }
                }
                rgb.extend(acc.map(|a| (a / area.max(1e-12)).round().clamp(0.0, 255.0) as u8));
            }
        }
        Self { width: nw, height: nh, rgb }
    }
}

/// The shipped sample image (96×64).
pub fn sample_image() -> RgbImage {
    match RgbImage::from_png(SAMPLE_PNG) {
        Ok((img, _)) => img,
        // The asset is checked by a test; an unreadable one gives a grey image, not a panic.
        Err(_) => RgbImage { width: 96, height: 64, rgb: vec![128; 96 * 64 * 3] },
    }
}

/// Points from CSV text: one point per line, coordinates separated by commas (or
/// semicolons, tabs, spaces); a first line that is not numeric is a header. Every point
/// must have the same number of finite coordinates.
pub fn points_from_csv(text: &str) -> Result<Mat<f64>, String> {
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> =
            line.split([',', ';', '\t', ' ']).map(str::trim).filter(|c| !c.is_empty()).collect();
        let parsed: Result<Vec<f64>, _> = cells.iter().map(|c| c.parse::<f64>()).collect();
        let values = match parsed {
            Ok(v) => v,
            Err(_) if rows.is_empty() && n == first_data_line(text) => continue, // a header
            Err(_) => return Err(format!("line {}: {line:?} is not a list of numbers", n + 1)),
        };
        if let Some(bad) = values.iter().position(|x| !x.is_finite()) {
            return Err(format!(
                "line {}: coordinate {} is {} (NaN or infinite)",
                n + 1,
                bad + 1,
                cells[bad]
            ));
        }
        if values.len() > MAX_CSV_DIM {
            return Err(format!("line {}: {} coordinates; at most {MAX_CSV_DIM}", n + 1, values.len()));
        }
        if let Some(first) = rows.first()
            && first.len() != values.len()
        {
            return Err(format!(
                "line {}: {} coordinates, but the first point has {}",
                n + 1,
                values.len(),
                first.len()
            ));
        }
        if rows.len() >= MAX_CSV_POINTS {
            return Err(format!("more than {MAX_CSV_POINTS} points"));
        }
        rows.push(values);
    }
    let d = rows.first().map_or(0, Vec::len);
    if rows.is_empty() || d == 0 {
        return Err("no points found (one point per line, coordinates separated by commas)".into());
    }
    Ok(Mat { rows: rows.len(), cols: d, data: rows.concat() })
}

fn first_data_line(text: &str) -> usize {
    text.lines().position(|l| !l.trim().is_empty() && !l.trim().starts_with('#')).unwrap_or(0)
}

/// `m` points in `d` dimensions from `blobs` Gaussian blobs: blob means drawn from
/// `N(0, 2² I)`, each point a uniformly chosen blob's mean plus `N(0, 0.5² I)`.
pub fn mixture(rng: &mut Rng, m: usize, d: usize, blobs: usize) -> Mat<f64> {
    let blobs = blobs.max(1);
    let means: Vec<f64> = (0..blobs * d).map(|_| 2.0 * normal(rng)).collect();
    let mut data = Vec::with_capacity(m * d);
    for _ in 0..m {
        let b = crate::rng::index(rng, blobs);
        for t in 0..d {
            data.push(means[b * d + t] + 0.5 * normal(rng));
        }
    }
    Mat { rows: m, cols: d, data }
}

/// Initial centres by k-means++ seeding (the first a uniformly drawn point, each next one
/// a point drawn with probability proportional to its squared distance to the nearest
/// centre so far), each then moved by `N(0, (0.01·σ)² I)` with `σ` the points' RMS
/// distance from their mean, so that no centre starts exactly on a point (the distance
/// `‖w − c‖` has no derivative at 0). They do not depend on the points afterwards: the
/// gradients treat them as constants. Needs `1 ≤ k ≤ m`; coincident points may repeat.
pub fn initial_centres(rng: &mut Rng, w: &Mat<f64>, k: usize) -> Vec<f64> {
    let (m, d) = (w.rows, w.cols);
    let sigma = spread(w).max(1e-6);
    if m == 0 {
        return vec![0.0; k * d];
    }
    let dist2 = |i: usize, j: usize| (0..d).map(|t| (w.at(i, t) - w.at(j, t)).powi(2)).sum::<f64>();
    let mut picks = vec![crate::rng::index(rng, m)];
    let mut near: Vec<f64> = (0..m).map(|i| dist2(i, picks[0])).collect();
    while picks.len() < k {
        let total: f64 = near.iter().sum();
        let next = if total > 0.0 {
            let target = crate::rng::uniform(rng) * total;
            let mut acc = 0.0;
            (0..m)
                .find(|&i| {
                    acc += near[i];
                    acc > target && near[i] > 0.0
                })
                .unwrap_or(m - 1)
        } else {
            crate::rng::index(rng, m)
        };
        picks.push(next);
        for i in 0..m {
            near[i] = near[i].min(dist2(i, next));
        }
    }
    let mut c = Vec::with_capacity(k * d);
    for &i in &picks {
        for t in 0..d {
            c.push(w.at(i, t) + 0.01 * sigma * normal(rng));
        }
    }
    c
}

/// RMS distance of the points from their mean.
pub fn spread(w: &Mat<f64>) -> f64 {
    if w.rows == 0 {
        return 0.0;
    }
    let d = w.cols;
    let mut mean = vec![0.0; d];
    for i in 0..w.rows {
        for t in 0..d {
            mean[t] += w.at(i, t) / w.rows as f64;
        }
    }
    let ss: f64 = (0..w.rows).map(|i| (0..d).map(|t| (w.at(i, t) - mean[t]).powi(2)).sum::<f64>()).sum();
    (ss / w.rows as f64).sqrt()
}

/// `m` distinct pixels of `img` as points in `[0, 1]³`.
pub fn image_sample(rng: &mut Rng, img: &RgbImage, m: usize) -> Mat<f64> {
    let all = img.points();
    let picks = choose_distinct(rng, all.rows, m);
    Mat { rows: picks.len(), cols: 3, data: picks.iter().flat_map(|&i| all.row(i).to_vec()).collect() }
}

/// Drawn points `x0,y0,x1,y1,…` as a `n × 2` matrix (a trailing odd number is dropped).
pub fn drawn(list: &[f64]) -> Mat<f64> {
    let n = list.len() / 2;
    Mat { rows: n, cols: 2, data: list[..2 * n].to_vec() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    #[test]
    fn sample_image_decodes_to_96_by_64() {
        let (img, note) = RgbImage::from_png(SAMPLE_PNG).expect("the shipped asset decodes");
        assert_eq!((img.width, img.height, img.rgb.len()), (96, 64, 96 * 64 * 3));
        assert!(note.is_none());
        // A photograph, not a flat fallback: many distinct colours.
        let mut colours: Vec<&[u8]> = img.rgb.chunks(3).collect();
        colours.sort();
        colours.dedup();
        assert!(colours.len() > 1000, "{} colours", colours.len());
    }

    fn png_bytes(w: u32, h: u32, color: png::ColorType, depth: png::BitDepth, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, w, h);
            enc.set_color(color);
            enc.set_depth(depth);
            let mut wr = enc.write_header().expect("header");
            wr.write_image_data(data).expect("data");
        }
        out
    }

    #[test]
    fn png_colour_types_become_rgb() {
        let gray = png_bytes(2, 1, png::ColorType::Grayscale, png::BitDepth::Eight, &[0, 200]);
        let (img, _) = RgbImage::from_png(&gray).expect("gray");
        assert_eq!(img.rgb, vec![0, 0, 0, 200, 200, 200]);
        // Half-transparent black over white is mid grey.
        let rgba = png_bytes(1, 1, png::ColorType::Rgba, png::BitDepth::Eight, &[0, 0, 0, 128]);
        let (img, _) = RgbImage::from_png(&rgba).expect("rgba");
        assert_eq!(img.rgb, vec![127, 127, 127]);
        let deep = png_bytes(1, 1, png::ColorType::Rgb, png::BitDepth::Sixteen, &[255, 0, 0, 0, 128, 0]);
        let (img, _) = RgbImage::from_png(&deep).expect("16-bit");
        assert_eq!(img.rgb, vec![255, 0, 128]);
    }

    #[test]
    fn bad_images_get_clear_messages() {
        assert!(RgbImage::from_png(b"GIF89a").expect_err("refused").contains("not a readable PNG"));
        assert!(RgbImage::from_rgba(2, 2, &[0; 15]).expect_err("refused").contains("needs 16 bytes"));
        assert!(RgbImage::from_rgba(0, 5, &[]).expect_err("refused").contains("empty"));
        assert!(RgbImage::from_rgba(5000, 5000, &[]).expect_err("refused").contains("more than"));
    }

    #[test]
    fn large_images_are_averaged_down_with_a_notice() {
        let (w, h) = (300, 200);
        let rgba: Vec<u8> = (0..w * h).flat_map(|i| [((i % w) / 2) as u8, 50, 100, 255]).collect();
        let (img, note) = RgbImage::from_rgba(w, h, &rgba).expect("fits after resizing");
        assert!(img.width * img.height <= MAX_IMAGE_PIXELS);
        assert_eq!((img.width, img.height), (156, 104));
        assert!(note.expect("a notice").contains("averaged down to 156×104"));
        // Constant channels stay constant; the mean of a linear ramp is kept.
        assert!(img.rgb.chunks(3).all(|p| p[1] == 50 && p[2] == 100));
        let mean_r: f64 = img.rgb.chunks(3).map(|p| f64::from(p[0])).sum::<f64>() / (156.0 * 104.0);
        assert!((mean_r - 74.75).abs() < 1.0, "{mean_r}");
    }

    #[test]
    fn csv_points_parse_with_a_header_and_refuse_bad_rows() {
        let m = points_from_csv("x,y\n1,2\n3.5, -4\n\n# note\n5;6\n").expect("parses");
        assert_eq!((m.rows, m.cols), (3, 2));
        assert_eq!(m.data, vec![1.0, 2.0, 3.5, -4.0, 5.0, 6.0]);
        assert!(points_from_csv("1,2\n3,NaN\n").expect_err("refused").contains("NaN or infinite"));
        assert!(points_from_csv("1,2\n3\n").expect_err("refused").contains("first point has 2"));
        assert!(points_from_csv("1,2\nfoo,3\n").expect_err("refused").contains("line 2"));
        assert!(points_from_csv("\n\n").expect_err("refused").contains("no points"));
        assert!(points_from_csv("a,b\n").expect_err("refused").contains("no points"));
    }

    #[test]
    fn initial_centres_are_near_but_not_on_points() {
        let mut rng = seeded(1, 1);
        let w = mixture(&mut rng, 50, 2, 3);
        let c = initial_centres(&mut rng, &w, 4);
        assert_eq!(c.len(), 8);
        let s = spread(&w);
        for j in 0..4 {
            let nearest = (0..50)
                .map(|i| ((w.at(i, 0) - c[2 * j]).powi(2) + (w.at(i, 1) - c[2 * j + 1]).powi(2)).sqrt())
                .fold(f64::INFINITY, f64::min);
            assert!(nearest > 0.0 && nearest < 0.1 * s, "{nearest}");
        }
    }
}
