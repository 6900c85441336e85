//! A visitor's image, read in the browser or by the CLI (never sent anywhere): PNG files and
//! canvas RGBA bytes become an 8-bit RGB image that labs cluster (softkmeans) or threshold
//! into patterns (classic). Other formats reach this as PNG: the page redraws a JPEG, GIF or
//! WebP on a canvas first.

// Index loops over parallel buffers read like the formulas.
#![allow(clippy::needless_range_loop)]

use crate::compute::Mat;

/// Largest image decoded at all (pixels).
pub const MAX_DECODE_PIXELS: usize = 4096 * 4096;

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
    pub fn from_rgba(width: usize, height: usize, rgba: &[u8]) -> Result<Self, String> {
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
        Ok(Self { width, height, rgb })
    }

    /// Decode a PNG file (any colour type and depth; 16-bit is reduced to 8; alpha is
    /// composited over white), at most [`MAX_DECODE_PIXELS`] pixels.
    pub fn from_png(bytes: &[u8]) -> Result<Self, String> {
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
        // The png crate (0.18.1) panics expanding a palette whose length is not a multiple of 3
        // (found by fuzzing): refuse such a file before it decodes a row.
        if let Some(palette) = &reader.info().palette
            && palette.len() % 3 != 0
        {
            return Err(format!(
                "not a readable PNG file: its palette has {} bytes, not a whole number of colours",
                palette.len()
            ));
        }
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

    /// Box-average down (keeping the aspect ratio, as far as sides of at least one pixel allow)
    /// when over `max_pixels`, with a notice that says so.
    pub fn fit(self, max_pixels: usize) -> (Self, Option<String>) {
        let pixels = self.width * self.height;
        if pixels <= max_pixels {
            return (self, None);
        }
        let scale = (max_pixels as f64 / pixels as f64).sqrt();
        // A very thin image cannot keep its aspect ratio: a side of 1 pixel caps the other.
        let nw = ((self.width as f64 * scale).floor() as usize).clamp(1, max_pixels.max(1));
        let nh = ((self.height as f64 * scale).floor() as usize).clamp(1, (max_pixels / nw).max(1));
        let small = self.box_resize(nw, nh);
        let note = format!(
            "the image is {}×{} ({} pixels); it was averaged down to {nw}×{nh} to stay within {max_pixels} pixels",
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

impl RgbImage {
    /// Luminance in `[0, 1]` per pixel, row-major (Rec. 601 weights).
    pub fn luminance(&self) -> Vec<f64> {
        self.rgb
            .chunks_exact(3)
            .map(|p| (0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2])) / 255.0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let img = RgbImage::from_png(&gray).expect("gray");
        assert_eq!(img.rgb, vec![0, 0, 0, 200, 200, 200]);
        // Half-transparent black over white is mid grey.
        let rgba = png_bytes(1, 1, png::ColorType::Rgba, png::BitDepth::Eight, &[0, 0, 0, 128]);
        let img = RgbImage::from_png(&rgba).expect("rgba");
        assert_eq!(img.rgb, vec![127, 127, 127]);
        let deep = png_bytes(1, 1, png::ColorType::Rgb, png::BitDepth::Sixteen, &[255, 0, 0, 0, 128, 0]);
        let img = RgbImage::from_png(&deep).expect("16-bit");
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
        let (img, note) = RgbImage::from_rgba(w, h, &rgba).expect("decodes").fit(128 * 128);
        assert!(img.width * img.height <= 128 * 128);
        assert_eq!((img.width, img.height), (156, 104));
        assert!(note.expect("a notice").contains("averaged down to 156×104"));
        // Constant channels stay constant; the mean of a linear ramp is kept.
        assert!(img.rgb.chunks(3).all(|p| p[1] == 50 && p[2] == 100));
        let mean_r: f64 = img.rgb.chunks(3).map(|p| f64::from(p[0])).sum::<f64>() / (156.0 * 104.0);
        assert!((mean_r - 74.75).abs() < 1.0, "{mean_r}");
    }

    #[test]
    fn thin_images_fit_too() {
        // 1×20000 once became 1×18101, over the 16384 pixels asked for (found by fuzzing).
        for (w, h) in [(1, 20_000), (20_000, 1), (5, 1), (3, 700)] {
            let img = RgbImage { width: w, height: h, rgb: vec![9; 3 * w * h] };
            for max in [1, 2, 7, 128 * 128] {
                let (small, note) = img.clone().fit(max);
                assert!(small.width * small.height <= max, "{w}×{h} → {}×{}", small.width, small.height);
                assert_eq!(note.is_some(), w * h > max);
                assert!(small.rgb.iter().all(|&v| v == 9));
            }
        }
    }

    #[test]
    fn luminance_weights_sum_to_one() {
        let img = RgbImage { width: 3, height: 1, rgb: vec![255, 255, 255, 0, 0, 0, 255, 0, 0] };
        let l = img.luminance();
        assert!((l[0] - 1.0).abs() < 1e-12 && l[1] == 0.0 && (l[2] - 0.299).abs() < 1e-12);
    }
}
