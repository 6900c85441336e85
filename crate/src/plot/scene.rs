//! The display list: what a laid-out figure draws, in pixels, top-left origin.
//!
//! Two backends play the same list: the page's canvas player (`www/js/paint.js`) and the
//! SVG writer ([`super::svg`]), which the CLI also rasterises to PNG. Neither knows a lab;
//! a scene is only rectangles, paths, circles, text and images, plus the regions a person
//! can click ([`Hit`]).

use serde::{Serialize, Serializer};

/// An sRGB colour with alpha.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color(pub [u8; 4]);

impl Color {
    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Self([r, g, b, 255])
    }

    /// The same colour with alpha `a` in `[0, 1]`.
    pub fn alpha(self, a: f64) -> Self {
        let [r, g, b, _] = self.0;
        Self([r, g, b, (a.clamp(0.0, 1.0) * 255.0).round() as u8])
    }

    /// `#rrggbb`, or `rgba(r,g,b,a)` when not opaque (CSS and SVG both read it).
    pub fn css(self) -> String {
        let [r, g, b, a] = self.0;
        if a == 255 {
            format!("#{r:02x}{g:02x}{b:02x}")
        } else {
            format!("rgba({r},{g},{b},{})", round_sig(f64::from(a) / 255.0, 3))
        }
    }
}

impl Serialize for Color {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.css())
    }
}

/// The palette of data series: Okabe & Ito's colour-blind-safe set (black last).
pub const PALETTE: [Color; 8] = [
    Color::rgb(0, 114, 178),   // blue
    Color::rgb(213, 94, 0),    // vermillion
    Color::rgb(0, 158, 115),   // bluish green
    Color::rgb(230, 159, 0),   // orange
    Color::rgb(204, 121, 167), // reddish purple
    Color::rgb(86, 180, 233),  // sky blue
    Color::rgb(140, 140, 140), // grey (Okabe–Ito's yellow is unreadable on white)
    Color::rgb(0, 0, 0),
];

pub const TEXT: Color = Color::rgb(34, 34, 34);
pub const MUTED: Color = Color::rgb(90, 90, 90);
pub const AXIS: Color = Color::rgb(136, 136, 136);
pub const GRID: Color = Color::rgb(236, 236, 236);
pub const WHITE: Color = Color::rgb(255, 255, 255);

/// How a line is drawn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stroke {
    pub color: Color,
    pub width: f64,
    /// Dash pattern in px (empty: solid).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dash: Vec<f64>,
}

impl Stroke {
    pub fn solid(color: Color, width: f64) -> Self {
        Self { color, width, dash: Vec::new() }
    }
}

/// Horizontal anchor of a text item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// One drawing primitive. Text is positioned at its alphabetic baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum Item {
    Rect {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        #[serde(skip_serializing_if = "Option::is_none")]
        fill: Option<Color>,
        #[serde(skip_serializing_if = "Option::is_none")]
        stroke: Option<Stroke>,
    },
    /// A polyline (`pts` = x0, y0, x1, y1, …), closed and filled when asked.
    Path {
        pts: Vec<f64>,
        closed: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        fill: Option<Color>,
        #[serde(skip_serializing_if = "Option::is_none")]
        stroke: Option<Stroke>,
    },
    Circle {
        x: f64,
        y: f64,
        r: f64,
        #[serde(skip_serializing_if = "Option::is_none")]
        fill: Option<Color>,
        #[serde(skip_serializing_if = "Option::is_none")]
        stroke: Option<Stroke>,
    },
    Text {
        x: f64,
        y: f64,
        text: String,
        size: f64,
        color: Color,
        anchor: Anchor,
        /// Rotation in degrees about (x, y) (−90: reads bottom to top).
        #[serde(skip_serializing_if = "is_zero")]
        angle: f64,
    },
    /// `cols × rows` RGBA pixels (row 0 at the top) scaled into the rectangle.
    Image {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        cols: usize,
        rows: usize,
        #[serde(serialize_with = "bytes")]
        rgba: Vec<u8>,
        /// Interpolate when scaling (false: crisp cells).
        smooth: bool,
    },
    /// Clip what follows to a rectangle, until [`Item::Unclip`].
    Clip {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
    },
    Unclip,
}

impl Item {
    /// Move the item by (dx, dy).
    pub fn shift(&mut self, dx: f64, dy: f64) {
        match self {
            Item::Rect { x, y, .. }
            | Item::Circle { x, y, .. }
            | Item::Text { x, y, .. }
            | Item::Image { x, y, .. }
            | Item::Clip { x, y, .. } => {
                *x += dx;
                *y += dy;
            }
            Item::Path { pts, .. } => {
                for (i, p) in pts.iter_mut().enumerate() {
                    *p += if i % 2 == 0 { dx } else { dy };
                }
            }
            Item::Unclip => {}
        }
    }
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

fn bytes<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    // serde-wasm-bindgen turns bytes into a Uint8Array; serde_json into a list of numbers.
    s.serialize_bytes(v)
}

/// What a click (or a drag) on a region of the scene does. The page routes it: `set`
/// and `toggle` change the link; `ui` changes view state that is not in the link.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum Action {
    /// Set parameters (key, value text) in one link update.
    Set { values: Vec<(String, String)> },
    /// Add `index` to the integer list `key`, or remove it when present.
    Toggle { key: String, index: i64 },
    /// Set a view-state value (an animation frame, a selection).
    Ui { key: String, value: f64 },
    /// Paint cell `index` of token `token` of the pattern list `key` (`n` cells, `cols` wide);
    /// the page gathers a drag's cells and asks the core for the new list.
    Paint { key: String, token: usize, index: usize, n: usize, cols: usize },
}

/// A linear map from a pixel coordinate to a data value (for a click in a plot).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AxisMap {
    /// Pixel of `lo` and of `hi`.
    pub p0: f64,
    pub p1: f64,
    /// Data values at `p0` and `p1` (log10 of them on a log axis).
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    /// Significant digits the value is rounded to before it goes into the link.
    pub digits: u32,
}

/// A clickable region.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum Hit {
    /// One action for the whole rectangle.
    Area { x: f64, y: f64, w: f64, h: f64, action: Action, title: String },
    /// A grid of `rows × cols` cells (row 0 at the top); cell `r·cols + c` triggers
    /// `actions[r·cols + c]` (when present) and with Shift held `shift[…]`.
    Cells {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        rows: usize,
        cols: usize,
        actions: Vec<Option<Action>>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        shift: Vec<Option<Action>>,
        /// `toggle` cells may be painted by dragging across them.
        paint: bool,
        /// Text shown when the pointer rests on a cell (indexed like `actions`; empty: none).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        titles: Vec<String>,
    },
    /// A plot area: a click (or a drag, when `drag`) sets `x_key` and `y_key` to the data
    /// coordinates under the pointer.
    Plane {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        xmap: AxisMap,
        ymap: AxisMap,
        /// What the click or drag does (see [`super::figure::PlaneClick`]).
        mode: super::figure::PlaneClick,
    },
    /// Hovering a plot area reads out (x, y) and, at the nearest of `rows × cols` grid points
    /// (corner points at pixels `grid` = left, right, top, bottom), each layer's value.
    Readout {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        xmap: AxisMap,
        ymap: AxisMap,
        rows: usize,
        cols: usize,
        grid: [f64; 4],
        names: Vec<String>,
        values: Vec<Vec<f64>>,
    },
}

/// A region of the scene drawn by a live layer (the dense lab's particles) on top.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveRegion {
    pub kind: String,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    /// The data rectangle the region shows: x0, x1, y0, y1.
    pub domain: [f64; 4],
    /// What the plot draws after the live region's mark (already in the scene's items, so
    /// exports show it), to be painted again above the live layer (a trajectory, markers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub above: Vec<Item>,
}

/// A laid-out figure.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scene {
    pub width: f64,
    pub height: f64,
    pub items: Vec<Item>,
    pub hits: Vec<Hit>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub live: Vec<LiveRegion>,
}

impl Scene {
    pub fn text(&mut self, x: f64, y: f64, text: impl Into<String>, size: f64, color: Color, anchor: Anchor) {
        self.items.push(Item::Text { x, y, text: text.into(), size, color, anchor, angle: 0.0 });
    }

    pub fn line(&mut self, pts: Vec<f64>, stroke: Stroke) {
        self.items.push(Item::Path { pts, closed: false, fill: None, stroke: Some(stroke) });
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: Option<Color>, stroke: Option<Stroke>) {
        self.items.push(Item::Rect { x, y, w, h, fill, stroke });
    }

    /// Shift every item and hit by (dx, dy) (to place a laid-out panel inside a figure).
    pub fn append_at(&mut self, other: Scene, dx: f64, dy: f64) {
        for mut it in other.items {
            it.shift(dx, dy);
            self.items.push(it);
        }
        for mut h in other.hits {
            match &mut h {
                Hit::Area { x, y, .. } | Hit::Cells { x, y, .. } => {
                    *x += dx;
                    *y += dy;
                }
                Hit::Plane { x, y, xmap, ymap, .. } => {
                    *x += dx;
                    *y += dy;
                    xmap.p0 += dx;
                    xmap.p1 += dx;
                    ymap.p0 += dy;
                    ymap.p1 += dy;
                }
                Hit::Readout { x, y, xmap, ymap, grid, .. } => {
                    *x += dx;
                    *y += dy;
                    xmap.p0 += dx;
                    xmap.p1 += dx;
                    ymap.p0 += dy;
                    ymap.p1 += dy;
                    grid[0] += dx;
                    grid[1] += dx;
                    grid[2] += dy;
                    grid[3] += dy;
                }
            }
            self.hits.push(h);
        }
        for mut l in other.live {
            l.x += dx;
            l.y += dy;
            for it in &mut l.above {
                it.shift(dx, dy);
            }
            self.live.push(l);
        }
    }
}

/// `x` rounded to `sig` significant digits (0 stays 0; non-finite values pass through).
pub fn round_sig(x: f64, sig: u32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let mag = x.abs().log10().floor() as i32;
    let scale = 10f64.powi(sig as i32 - 1 - mag);
    // Below about 1e-305 the scale overflows to infinity (x·∞/∞ is NaN): the text below rounds.
    let r = if scale.is_finite() { (x * scale).round() / scale } else { x };
    // Clean representation errors such as 0.30000000000000004.
    let text = format!("{:.*e}", sig.saturating_sub(1) as usize, r);
    text.parse().unwrap_or(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_write_css() {
        assert_eq!(Color::rgb(0, 114, 178).css(), "#0072b2");
        assert_eq!(Color::rgb(255, 0, 0).alpha(0.5).css(), "rgba(255,0,0,0.502)");
    }

    #[test]
    fn round_sig_keeps_four_digits() {
        assert_eq!(round_sig(123.456789, 4), 123.5);
        assert_eq!(round_sig(0.000123456, 4), 0.0001235);
        assert_eq!(round_sig(-98765.0, 4), -98770.0);
        assert_eq!(round_sig(0.0, 4), 0.0);
        assert_eq!(round_sig(0.1 + 0.2, 4), 0.3);
        // Tiny numbers (the scale 10^311 overflows) round too, never to NaN (found by fuzzing).
        assert_eq!(round_sig(2.2156596835317834e-308, 4), 2.216e-308);
        assert_eq!(round_sig(-4.9e-324, 4), -4.9e-324);
    }

    #[test]
    fn append_at_shifts_everything() {
        let mut inner = Scene::default();
        inner.line(vec![0.0, 0.0, 1.0, 2.0], Stroke::solid(TEXT, 1.0));
        inner.hits.push(Hit::Area {
            x: 1.0,
            y: 1.0,
            w: 2.0,
            h: 2.0,
            action: Action::Ui { key: "frame".into(), value: 1.0 },
            title: String::new(),
        });
        let mut outer = Scene::default();
        outer.append_at(inner, 10.0, 20.0);
        assert_eq!(
            outer.items[0],
            Item::Path {
                pts: vec![10.0, 20.0, 11.0, 22.0],
                closed: false,
                fill: None,
                stroke: Some(Stroke::solid(TEXT, 1.0))
            }
        );
        assert!(matches!(outer.hits[0], Hit::Area { x: 11.0, y: 21.0, .. }));
    }
}
