//! Layout: a [`Figure`] description becomes a [`Scene`] (pixels, primitives, click regions)
//! at a given width. This is the only layout engine: the page paints its result and the
//! SVG writer writes it. Deterministic: the same figure and width give the same scene.
//!
//! Rules that keep figures readable: tick labels share one number format per axis; log
//! axes tick at decades (or 1-2-5 multiples inside a decade); reference lines are labelled
//! in the margin, in rows that do not overlap, never over the data; a legend goes in the
//! inside corner that covers the fewest data points, or below the plot when every corner
//! covers some; colour bars and table columns get the width their labels measure.

use super::figure::{Body, CellClick, Figure, Images, LegendPos, Mark, Plot, Scale, Shape, Table, Ticks};
use super::scene::{self, Action, Anchor, AxisMap, Color, Hit, Item, LiveRegion, Scene, Stroke};
use super::text;
use super::ticks;

/// The width of exported figures (SVG, PNG, and the page's downloads), in px.
pub const EXPORT_WIDTH: f64 = 720.0;
/// Panels narrower than this stack instead of sitting side by side.
pub const MIN_PANEL_WIDTH: f64 = 300.0;

const TICK: f64 = 11.0;
const LABEL: f64 = 12.0;
const GAP: f64 = 16.0;

/// Lay `fig` out at `width` px.
pub fn layout(fig: &Figure, width: f64) -> Scene {
    let width = if width.is_finite() { width.clamp(160.0, 4000.0) } else { EXPORT_WIDTH };
    let cols = fig.columns.clamp(1, ((width + GAP) / (MIN_PANEL_WIDTH + GAP)).floor().max(1.0) as usize);
    let cell_w = (width - GAP * (cols - 1) as f64) / cols as f64;
    // The figure is as wide as its widest row (equal-aspect plots may not fill the width).
    let mut out = Scene { width: 0.0, height: 0.0, ..Scene::default() };
    let mut y = 0.0;
    for row in fig.panels.chunks(cols) {
        let mut row_h: f64 = 0.0;
        for (k, p) in row.iter().enumerate() {
            let mut s = Scene::default();
            let mut top = 0.0;
            if !p.title.is_empty() {
                s.text(0.0, LABEL, text::fit(&p.title, LABEL, cell_w), LABEL, scene::TEXT, Anchor::Start);
                top = LABEL + 8.0;
            }
            let body = match &p.body {
                Body::Plot(plot) => layout_plot(plot, cell_w),
                Body::Table(t) => layout_table(t, cell_w),
                Body::Images(im) => layout_images(im, cell_w),
                Body::Text { lines } => layout_text(lines, cell_w),
                Body::Empty { message } => layout_empty(message, cell_w),
            };
            let h = top + body.height;
            let title_w = if p.title.is_empty() { 0.0 } else { text::width(&p.title, LABEL).min(cell_w) };
            out.width = out.width.max(k as f64 * (cell_w + GAP) + body.width.max(title_w));
            s.append_at(body, 0.0, top);
            out.append_at(s, k as f64 * (cell_w + GAP), y);
            row_h = row_h.max(h);
        }
        y += row_h + GAP;
    }
    out.height = (y - GAP).max(1.0);
    out
}

/// Break `s` into lines of at most `max` px at `size`.
pub fn wrap(s: &str, size: f64, max: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ') {
        let cand = if cur.is_empty() { word.to_string() } else { format!("{cur} {word}") };
        if text::width(&cand, size) > max && !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
            cur = word.to_string();
        } else {
            cur = cand;
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

fn layout_text(lines: &[String], w: f64) -> Scene {
    let mut s = Scene { width: w, ..Scene::default() };
    let mut y = 0.0;
    for l in lines {
        for part in wrap(l, LABEL, w) {
            y += 17.0;
            s.text(0.0, y - 4.0, part, LABEL, scene::TEXT, Anchor::Start);
        }
    }
    s.height = y + 4.0;
    s
}

fn layout_empty(message: &str, w: f64) -> Scene {
    let h = 120.0;
    let mut s = Scene { width: w, height: h, ..Scene::default() };
    s.rect(
        0.5,
        0.5,
        w - 1.0,
        h - 1.0,
        Some(Color::rgb(247, 248, 250)),
        Some(Stroke { color: Color::rgb(200, 204, 210), width: 1.0, dash: vec![4.0, 3.0] }),
    );
    let lines = wrap(message, LABEL, w - 40.0);
    let y0 = h / 2.0 - (lines.len() as f64 - 1.0) * 8.5 + text::cap_height(LABEL) / 2.0;
    for (i, l) in lines.into_iter().enumerate() {
        s.text(w / 2.0, y0 + 17.0 * i as f64, l, LABEL, scene::MUTED, Anchor::Middle);
    }
    s
}

fn is_number(s: &str) -> bool {
    let t = s.trim().replace('−', "-");
    !t.is_empty() && (t.parse::<f64>().is_ok() || t.contains("×10") || t == "—")
}

fn layout_table(t: &Table, w: f64) -> Scene {
    let size = 12.0;
    let pad = 14.0;
    let row_h = 20.0;
    let ncol = t.columns.len().max(t.rows.iter().map(Vec::len).max().unwrap_or(0));
    let mut widths = vec![0.0f64; ncol];
    for (i, c) in t.columns.iter().enumerate() {
        widths[i] = widths[i].max(text::width(c, size));
    }
    for r in &t.rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(text::width(c, size));
        }
    }
    let total: f64 = widths.iter().map(|x| x + pad).sum();
    let width = total.max(w);
    let mut s = Scene { width, ..Scene::default() };
    let mut x = 0.0;
    let xs: Vec<f64> = widths
        .iter()
        .map(|cw| {
            let here = x;
            x += cw + pad;
            here
        })
        .collect();
    let numeric: Vec<bool> = (0..ncol)
        .map(|i| t.rows.iter().filter_map(|r| r.get(i)).all(|c| c.is_empty() || is_number(c)))
        .collect();
    let base = |row: usize| row_h * (row as f64 + 1.0) - 6.0;
    let place = |s: &mut Scene, i: usize, row: usize, txt: &str, color: Color| {
        let (xx, anchor) = if numeric[i] {
            (xs[i] + widths[i] + pad / 2.0, Anchor::End)
        } else {
            (xs[i] + pad / 2.0, Anchor::Start)
        };
        s.text(xx, base(row), txt, size, color, anchor);
    };
    for (i, c) in t.columns.iter().enumerate() {
        place(&mut s, i, 0, c, scene::MUTED);
    }
    s.line(vec![0.0, row_h + 0.5, total, row_h + 0.5], Stroke::solid(scene::AXIS, 1.0));
    for (k, r) in t.rows.iter().enumerate() {
        if t.highlight.contains(&k) {
            s.rect(0.0, row_h * (k as f64 + 1.0) + 1.0, total, row_h, Some(Color::rgb(255, 244, 214)), None);
        }
        for (i, c) in r.iter().enumerate() {
            place(&mut s, i, k + 1, c, scene::TEXT);
        }
    }
    s.height = row_h * (t.rows.len() as f64 + 1.0) + 4.0;
    s
}

fn layout_images(im: &Images, w: f64) -> Scene {
    let size = im.size.clamp(8.0, 400.0);
    let gap = 10.0;
    let cap = if im.items.iter().any(|i| !i.caption.is_empty()) { 15.0 } else { 0.0 };
    let per_row = ((w + gap) / (size + gap)).floor().max(1.0) as usize;
    let mut s = Scene { width: w, ..Scene::default() };
    // Each image fits a size × size box keeping its aspect ratio; a row is as tall as its
    // tallest image (wide images make short rows).
    let dims: Vec<(f64, f64)> = im
        .items
        .iter()
        .map(|it| {
            let p = &it.pixels;
            if p.cols >= p.rows {
                (size, size * p.rows as f64 / p.cols.max(1) as f64)
            } else {
                (size * p.cols as f64 / p.rows.max(1) as f64, size)
            }
        })
        .collect();
    let mut y = 0.0;
    for (r, row) in im.items.chunks(per_row).enumerate() {
        let row_dims = &dims[r * per_row..r * per_row + row.len()];
        let row_h = row_dims.iter().map(|d| d.1).fold(0.0, f64::max);
        for (c, (it, &(iw, ih))) in row.iter().zip(row_dims).enumerate() {
            let x = c as f64 * (size + gap);
            let p = &it.pixels;
            s.items.push(Item::Image {
                x,
                y,
                w: iw,
                h: ih,
                cols: p.cols,
                rows: p.rows,
                rgba: p.cmap.rgba(&p.values, p.domain),
                smooth: false,
            });
            s.rect(
                x,
                y,
                iw,
                ih,
                None,
                Some(Stroke::solid(
                    it.outline.unwrap_or(Color::rgb(210, 214, 220)),
                    if it.outline.is_some() { 2.0 } else { 1.0 },
                )),
            );
            if !it.caption.is_empty() {
                s.text(
                    x + iw / 2.0,
                    y + ih + 12.0,
                    text::fit(&it.caption, TICK, size + gap),
                    TICK,
                    scene::MUTED,
                    Anchor::Middle,
                );
            }
            if let Some(a) = &it.action {
                s.hits.push(Hit::Area {
                    x,
                    y,
                    w: iw,
                    h: ih + cap,
                    action: a.clone(),
                    title: it.title.clone(),
                });
            }
        }
        y += row_h + cap + gap;
    }
    s.height = (y - gap).max(0.0);
    s
}

/// Data → transformed coordinate (log10 on a log axis; NaN when not representable).
fn tf(v: f64, scale: Scale) -> f64 {
    match scale {
        Scale::Linear => v,
        Scale::Log => {
            if v > 0.0 {
                v.log10()
            } else {
                f64::NAN
            }
        }
    }
}

struct Extent {
    lo: f64,
    hi: f64,
}

impl Extent {
    fn new() -> Self {
        Self { lo: f64::INFINITY, hi: f64::NEG_INFINITY }
    }
    fn add(&mut self, v: f64) {
        if v.is_finite() {
            self.lo = self.lo.min(v);
            self.hi = self.hi.max(v);
        }
    }
    fn get(&self, pad: f64) -> [f64; 2] {
        if self.lo > self.hi {
            return [0.0, 1.0];
        }
        let (mut lo, mut hi) = (self.lo, self.hi);
        if lo == hi {
            let d = if lo == 0.0 { 0.5 } else { lo.abs() * 0.1 };
            lo -= d;
            hi += d;
        }
        let d = (hi - lo) * pad;
        [lo - d, hi + d]
    }
}

/// The transformed extents of a plot's marks on x and y.
fn extents(p: &Plot) -> (Extent, Extent) {
    let (mut ex, mut ey) = (Extent::new(), Extent::new());
    let (sx, sy) = (p.x.scale, p.y.scale);
    for m in &p.marks {
        match m {
            Mark::Series { x, y, .. }
            | Mark::Markers { x, y, .. }
            | Mark::Scatter { x, y, .. }
            | Mark::Points { x, y, .. } => {
                for (a, b) in x.iter().zip(y) {
                    let (a, b) = (tf(*a, sx), tf(*b, sy));
                    if a.is_finite() && b.is_finite() {
                        ex.add(a);
                        ey.add(b);
                    }
                }
            }
            Mark::Bars { x, y, width, base, .. } => {
                for (a, b) in x.iter().zip(y) {
                    ex.add(tf(a - width / 2.0, sx));
                    ex.add(tf(a + width / 2.0, sx));
                    ey.add(tf(*b, sy));
                }
                ey.add(tf(*base, sy));
            }
            Mark::Band { x, lo, hi, .. } | Mark::Errors { x, lo, hi, .. } => {
                for ((a, l), h) in x.iter().zip(lo).zip(hi) {
                    ex.add(tf(*a, sx));
                    ey.add(tf(*l, sy));
                    ey.add(tf(*h, sy));
                }
            }
            Mark::Heatmap { extent, .. } => {
                ex.add(tf(extent[0], sx));
                ex.add(tf(extent[1], sx));
                ey.add(tf(extent[2], sy));
                ey.add(tf(extent[3], sy));
            }
            Mark::Segments { segs, .. } => {
                for s in segs {
                    ex.add(tf(s[0], sx));
                    ex.add(tf(s[2], sx));
                    ey.add(tf(s[1], sy));
                    ey.add(tf(s[3], sy));
                }
            }
            Mark::Label { x, y, .. } => {
                ex.add(tf(*x, sx));
                ey.add(tf(*y, sy));
            }
            Mark::Outline { extent, .. } | Mark::Fill { extent, .. } => {
                ex.add(tf(extent[0], sx));
                ex.add(tf(extent[1], sx));
                ey.add(tf(extent[2], sy));
                ey.add(tf(extent[3], sy));
            }
            Mark::Live { .. } => {}
        }
    }
    for r in &p.refs {
        if r.vertical {
            ex.add(tf(r.value, sx));
        } else {
            ey.add(tf(r.value, sy));
        }
    }
    (ex, ey)
}

fn has_area_marks(p: &Plot) -> bool {
    p.marks.iter().any(|m| {
        matches!(m, Mark::Heatmap { .. } | Mark::Live { .. } | Mark::Outline { .. } | Mark::Fill { .. })
    })
}

/// Ticks of an axis over its transformed domain.
fn axis_ticks(a: &super::figure::Axis, lo: f64, hi: f64, px: f64, spacing: f64) -> Vec<(f64, String)> {
    let target = (px / spacing).floor().max(2.0) as usize;
    match &a.ticks {
        Ticks::None => Vec::new(),
        Ticks::Labels { ticks } => ticks
            .iter()
            .map(|(v, l)| (tf(*v, a.scale), l.clone()))
            .filter(|(v, _)| v.is_finite() && *v >= lo.min(hi) - 1e-9 && *v <= hi.max(lo) + 1e-9)
            .collect(),
        Ticks::Auto => match a.scale {
            Scale::Linear => ticks::linear(lo, hi, target),
            Scale::Log => ticks::log(lo, hi, target),
        },
    }
}

/// Ticks of a colour bar: its own, inside its domain, or nice linear ones.
fn colorbar_ticks(cb: &super::figure::ColorBar, target: usize) -> Vec<(f64, String)> {
    let (lo, hi) = (cb.domain[0].min(cb.domain[1]), cb.domain[0].max(cb.domain[1]));
    match &cb.ticks {
        Ticks::Auto => ticks::linear(lo, hi, target),
        Ticks::None => Vec::new(),
        Ticks::Labels { ticks } => ticks
            .iter()
            .filter(|(v, _)| v.is_finite() && *v >= lo - 1e-9 * (hi - lo) && *v <= hi + 1e-9 * (hi - lo))
            .cloned()
            .collect(),
    }
}

/// Decimate a long polyline to at most ~2 points per pixel column (min and max kept).
fn decimate(pts: Vec<(f64, f64)>, px_width: f64) -> Vec<(f64, f64)> {
    let limit = (4.0 * px_width).max(64.0) as usize;
    // Only a curve drawn left to right can be thinned column by column.
    if pts.len() <= limit || pts.windows(2).any(|w| w[1].0 < w[0].0) {
        return pts;
    }
    let mut out = Vec::with_capacity(2 * px_width as usize + 4);
    let mut i = 0;
    while i < pts.len() {
        let col = pts[i].0.floor();
        let (mut lo, mut hi) = (pts[i], pts[i]);
        let mut j = i;
        while j < pts.len() && pts[j].0.floor() == col {
            if pts[j].1 < lo.1 {
                lo = pts[j];
            }
            if pts[j].1 > hi.1 {
                hi = pts[j];
            }
            j += 1;
        }
        out.push(pts[i]);
        let (a, b) = if lo.0 <= hi.0 { (lo, hi) } else { (hi, lo) };
        out.push(a);
        out.push(b);
        out.push(pts[j - 1]);
        i = j;
    }
    out.dedup();
    out
}

fn marker(s: &mut Scene, x: f64, y: f64, shape: Shape, r: f64, color: Color) {
    match shape {
        Shape::Dot => s.items.push(Item::Circle { x, y, r, fill: Some(color), stroke: None }),
        Shape::Circle => {
            s.items.push(Item::Circle { x, y, r, fill: None, stroke: Some(Stroke::solid(color, 1.3)) })
        }
        Shape::Square => s.rect(x - r, y - r, 2.0 * r, 2.0 * r, Some(color), None),
        Shape::Cross => s.items.push(Item::Path {
            pts: vec![x - r, y - r, x + r, y + r, f64::NAN, f64::NAN, x - r, y + r, x + r, y - r],
            closed: false,
            fill: None,
            stroke: Some(Stroke::solid(color, 1.4)),
        }),
        Shape::Disc => s.items.push(Item::Circle {
            x,
            y,
            r,
            fill: Some(color),
            stroke: Some(Stroke::solid(OUTLINE, 1.5)),
        }),
        Shape::Half => {
            // The lower half (screen y grows downwards), then the whole outline.
            let pts = (0..=16)
                .flat_map(|i| {
                    let a = std::f64::consts::PI * f64::from(i) / 16.0;
                    [x + r * a.cos(), y + r * a.sin()]
                })
                .collect();
            s.items.push(Item::Path { pts, closed: true, fill: Some(color), stroke: None });
            s.items.push(Item::Circle { x, y, r, fill: None, stroke: Some(Stroke::solid(OUTLINE, 1.5)) });
        }
        Shape::Block => {
            s.rect(x - r, y - r, 2.0 * r, 2.0 * r, Some(color), Some(Stroke::solid(OUTLINE, 1.5)))
        }
    }
}

/// The dark outline of markers drawn over heatmaps.
const OUTLINE: Color = Color::rgb(17, 17, 17);

/// A legend entry: its label and how its swatch is drawn.
#[derive(Clone)]
struct Entry {
    label: String,
    /// A marker's shape (drawn as the swatch instead of a line or a dot).
    shape: Option<Shape>,
    color: Color,
    dash: Vec<f64>,
    line: bool,
    marker: f64,
    fill: bool,
}

fn entries(p: &Plot) -> Vec<Entry> {
    let mut out = Vec::new();
    for m in &p.marks {
        match m {
            Mark::Series { style, label, .. } if !label.is_empty() => out.push(Entry {
                label: label.clone(),
                shape: None,
                color: style.color,
                dash: style.dash.clone(),
                line: style.line,
                marker: style.marker,
                fill: false,
            }),
            Mark::Markers { color, label, size, shape, .. } if !label.is_empty() => out.push(Entry {
                label: label.clone(),
                shape: Some(*shape),
                color: *color,
                dash: Vec::new(),
                line: false,
                marker: *size,
                fill: false,
            }),
            Mark::Bars { color, label, .. } | Mark::Band { color, label, .. } if !label.is_empty() => out
                .push(Entry {
                    label: label.clone(),
                    shape: None,
                    color: *color,
                    dash: Vec::new(),
                    line: false,
                    marker: 0.0,
                    fill: true,
                }),
            _ => {}
        }
    }
    out
}

fn draw_entry(s: &mut Scene, e: &Entry, x: f64, y: f64) {
    if let Some(shape) = e.shape {
        marker(s, x + 8.0, y, shape, e.marker.min(5.0), e.color);
    } else if e.fill {
        s.rect(x, y - 5.0, 16.0, 10.0, Some(e.color.alpha(0.45)), Some(Stroke::solid(e.color, 1.0)));
    } else {
        if e.line {
            s.line(vec![x, y, x + 16.0, y], Stroke { color: e.color, width: 2.0, dash: e.dash.clone() });
        }
        if e.marker > 0.0 {
            s.items.push(Item::Circle { x: x + 8.0, y, r: e.marker, fill: Some(e.color), stroke: None });
        }
    }
    s.text(x + 21.0, y + text::cap_height(TICK) / 2.0, e.label.clone(), TICK, scene::TEXT, Anchor::Start);
}

/// Lay a plot out at `w` px.
pub fn layout_plot(p: &Plot, w: f64) -> Scene {
    let (ex, ey) = extents(p);
    let area = has_area_marks(p);
    let dom = |a: &super::figure::Axis, e: &Extent, pad: f64| match a.domain {
        Some([lo, hi]) => {
            let (l, h) = (tf(lo, a.scale), tf(hi, a.scale));
            if l.is_finite() && h.is_finite() && h > l { [l, h] } else { e.get(pad) }
        }
        None => e.get(pad),
    };
    let [x0, x1] = dom(&p.x, &ex, if area { 0.0 } else { 0.02 });
    let [y0, y1] = dom(&p.y, &ey, if area { 0.0 } else { 0.06 });

    // Margins from what the labels measure.
    let yt_guess = axis_ticks(&p.y, y0, y1, p.height, 38.0);
    let ytick_w = yt_guess.iter().map(|(_, l)| text::width(l, TICK)).fold(0.0, f64::max);
    let left = 8.0 + ytick_w + if p.y.label.is_empty() { 0.0 } else { LABEL + 8.0 } + 4.0;
    let bottom = if matches!(p.x.ticks, Ticks::None) { 6.0 } else { 20.0 }
        + if p.x.label.is_empty() { 0.0 } else { LABEL + 8.0 };
    let href_w = p
        .refs
        .iter()
        .filter(|r| !r.vertical && !r.label.is_empty())
        .map(|r| text::width(&r.label, TICK) + 8.0)
        .fold(0.0, f64::max);
    let cb_w = p.colorbar.as_ref().map_or(0.0, |cb| {
        let t = colorbar_ticks(cb, 5);
        let tw = t.iter().map(|(_, l)| text::width(l, TICK)).fold(0.0, f64::max);
        14.0 + 12.0 + 6.0 + tw + if cb.label.is_empty() { 0.0 } else { LABEL + 10.0 }
    });
    let right = 10.0 + href_w.max(0.0) + cb_w;
    let mut pw = (w - left - right).max(40.0);
    let mut ph = p.height.max(40.0);
    if p.equal && x1 > x0 && y1 > y0 {
        let want = pw * (y1 - y0) / (x1 - x0);
        if want <= ph {
            ph = want.max(40.0);
        } else {
            pw = ph * (x1 - x0) / (y1 - y0);
        }
    }
    // Vertical reference lines: labels in rows above the plot.
    let xmap = |v: f64| left + (v - x0) / (x1 - x0) * pw;
    let mut vrefs: Vec<(f64, &super::figure::RefLine)> = p
        .refs
        .iter()
        .filter(|r| r.vertical && !r.label.is_empty())
        .map(|r| (xmap(tf(r.value, p.x.scale)), r))
        .filter(|(x, _)| x.is_finite() && *x >= left - 0.5 && *x <= left + pw + 0.5)
        .collect();
    vrefs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rows_end: Vec<f64> = Vec::new();
    let mut placed = Vec::new();
    for (x, r) in vrefs {
        let tw = text::width(&r.label, TICK);
        let lx = (x - tw / 2.0).clamp(0.0, (left + pw + right - tw).max(0.0));
        let row = rows_end.iter().position(|&end| lx > end + 6.0).unwrap_or(rows_end.len());
        if row == rows_end.len() {
            rows_end.push(0.0);
        }
        rows_end[row] = lx + tw;
        placed.push((x, lx, row, r));
    }
    let top = 8.0 + rows_end.len() as f64 * 15.0;
    let (px0, py0) = (left, top);
    let xpx = |v: f64| px0 + (v - x0) / (x1 - x0) * pw;
    let ypx = |v: f64| py0 + ph - (v - y0) / (y1 - y0) * ph;
    let mut s = Scene { width: w, ..Scene::default() };

    let xt = axis_ticks(&p.x, x0, x1, pw, 64.0);
    let yt = axis_ticks(&p.y, y0, y1, ph, 38.0);
    // Grid.
    if p.x.grid {
        for (t, _) in &xt {
            s.line(vec![xpx(*t), py0, xpx(*t), py0 + ph], Stroke::solid(scene::GRID, 1.0));
        }
    }
    if p.y.grid {
        for (t, _) in &yt {
            s.line(vec![px0, ypx(*t), px0 + pw, ypx(*t)], Stroke::solid(scene::GRID, 1.0));
        }
    }
    // Marks, clipped to the plot area.
    s.items.push(Item::Clip { x: px0, y: py0, w: pw, h: ph });
    let (sx, sy) = (p.x.scale, p.y.scale);
    let mut sample: Vec<(f64, f64)> = Vec::new();
    // The first live region and where the items drawn after it start.
    let mut live_from: Option<(usize, usize)> = None;
    for m in &p.marks {
        match m {
            Mark::Series { x, y, style, .. } => {
                let pts: Vec<(f64, f64)> =
                    x.iter().zip(y).map(|(a, b)| (xpx(tf(*a, sx)), ypx(tf(*b, sy)))).collect();
                sample.extend(
                    pts.iter()
                        .filter(|(a, b)| a.is_finite() && b.is_finite())
                        .step_by((pts.len() / 400).max(1)),
                );
                if style.line {
                    let mut flat = Vec::with_capacity(pts.len() * 2);
                    let mut run: Vec<(f64, f64)> = Vec::new();
                    let flush = |run: &mut Vec<(f64, f64)>, flat: &mut Vec<f64>| {
                        if run.len() >= 2 {
                            if !flat.is_empty() {
                                flat.extend([f64::NAN, f64::NAN]);
                            }
                            for (a, b) in decimate(std::mem::take(run), pw) {
                                flat.extend([a, b]);
                            }
                        }
                        run.clear();
                    };
                    for &(a, b) in &pts {
                        if a.is_finite() && b.is_finite() {
                            run.push((a, b));
                        } else {
                            flush(&mut run, &mut flat);
                        }
                    }
                    flush(&mut run, &mut flat);
                    if !flat.is_empty() {
                        s.line(
                            flat,
                            Stroke { color: style.color, width: style.width, dash: style.dash.clone() },
                        );
                    }
                }
                if style.marker > 0.0 {
                    for &(a, b) in pts.iter().filter(|(a, b)| a.is_finite() && b.is_finite()) {
                        marker(&mut s, a, b, Shape::Dot, style.marker, style.color);
                    }
                }
            }
            Mark::Markers { x, y, shape, size, color, .. } => {
                for (a, b) in x.iter().zip(y) {
                    let (a, b) = (xpx(tf(*a, sx)), ypx(tf(*b, sy)));
                    if a.is_finite() && b.is_finite() {
                        marker(&mut s, a, b, *shape, *size, *color);
                        sample.push((a, b));
                    }
                }
            }
            Mark::Scatter { x, y, colors, shape, size } => {
                let last = colors.last().copied().unwrap_or(scene::TEXT);
                for (i, (a, b)) in x.iter().zip(y).enumerate() {
                    let (a, b) = (xpx(tf(*a, sx)), ypx(tf(*b, sy)));
                    if a.is_finite() && b.is_finite() {
                        marker(&mut s, a, b, *shape, *size, colors.get(i).copied().unwrap_or(last));
                        sample.push((a, b));
                    }
                }
            }
            Mark::Bars { x, y, width, base, color, colors, .. } => {
                for (i, (a, b)) in x.iter().zip(y).enumerate() {
                    let xl = xpx(tf(a - width / 2.0, sx));
                    let xr = xpx(tf(a + width / 2.0, sx));
                    let (yb, yv) = (ypx(tf(*base, sy)), ypx(tf(*b, sy)));
                    if !(xl.is_finite() && xr.is_finite() && yb.is_finite() && yv.is_finite()) {
                        continue;
                    }
                    let c = colors.get(i).copied().unwrap_or(*color);
                    let bw = (xr - xl).abs();
                    let inset = if bw > 4.0 { bw * 0.12 } else { 0.0 };
                    s.rect(
                        xl.min(xr) + inset,
                        yb.min(yv),
                        (bw - 2.0 * inset).max(1.0),
                        (yb - yv).abs().max(1.0),
                        Some(c),
                        None,
                    );
                    sample.push(((xl + xr) / 2.0, yv));
                }
            }
            Mark::Band { x, lo, hi, color, .. } => {
                let mut pts = Vec::new();
                for (a, h) in x.iter().zip(hi) {
                    let (a, h) = (xpx(tf(*a, sx)), ypx(tf(*h, sy)));
                    if a.is_finite() && h.is_finite() {
                        pts.extend([a, h]);
                    }
                }
                for (a, l) in x.iter().zip(lo).rev() {
                    let (a, l) = (xpx(tf(*a, sx)), ypx(tf(*l, sy)));
                    if a.is_finite() && l.is_finite() {
                        pts.extend([a, l]);
                    }
                }
                if pts.len() >= 6 {
                    s.items.push(Item::Path {
                        pts,
                        closed: true,
                        fill: Some(color.alpha(0.22)),
                        stroke: None,
                    });
                }
            }
            Mark::Errors { x, lo, hi, color } => {
                let mut pts = Vec::new();
                for ((a, l), h) in x.iter().zip(lo).zip(hi) {
                    let (a, l, h) = (xpx(tf(*a, sx)), ypx(tf(*l, sy)), ypx(tf(*h, sy)));
                    if a.is_finite() && l.is_finite() && h.is_finite() {
                        if !pts.is_empty() {
                            pts.extend([f64::NAN, f64::NAN]);
                        }
                        pts.extend([
                            a - 3.0,
                            l,
                            a + 3.0,
                            l,
                            f64::NAN,
                            f64::NAN,
                            a,
                            l,
                            a,
                            h,
                            f64::NAN,
                            f64::NAN,
                            a - 3.0,
                            h,
                            a + 3.0,
                            h,
                        ]);
                    }
                }
                if !pts.is_empty() {
                    s.line(pts, Stroke::solid(*color, 1.2));
                }
            }
            Mark::Heatmap { pixels, extent, click, smooth } => {
                let (xa, xb) = (xpx(tf(extent[0], sx)), xpx(tf(extent[1], sx)));
                let (ya, yb) = (ypx(tf(extent[3], sy)), ypx(tf(extent[2], sy)));
                if xa.is_finite()
                    && xb.is_finite()
                    && ya.is_finite()
                    && yb.is_finite()
                    && pixels.rows * pixels.cols > 0
                {
                    let (hx, hy, hw, hh) = (xa.min(xb), ya.min(yb), (xb - xa).abs(), (yb - ya).abs());
                    s.items.push(Item::Image {
                        x: hx,
                        y: hy,
                        w: hw,
                        h: hh,
                        cols: pixels.cols,
                        rows: pixels.rows,
                        rgba: pixels.cmap.rgba(&pixels.values, pixels.domain),
                        smooth: *smooth,
                    });
                    let cells = pixels.rows * pixels.cols;
                    let mut titles = Vec::new();
                    let hit = match click {
                        CellClick::None => None,
                        CellClick::Toggle { key, count } => Some((
                            (0..cells)
                                .map(|i| {
                                    (i < *count).then(|| Action::Toggle { key: key.clone(), index: i as i64 })
                                })
                                .collect(),
                            Vec::new(),
                            true,
                        )),
                        CellClick::Paint { key, token, count } => Some((
                            (0..cells)
                                .map(|i| {
                                    (i < *count).then(|| Action::Paint {
                                        key: key.clone(),
                                        token: *token,
                                        index: i,
                                        n: *count,
                                        cols: pixels.cols,
                                    })
                                })
                                .collect(),
                            Vec::new(),
                            true,
                        )),
                        CellClick::Actions { actions, shift, titles: t } => {
                            titles.clone_from(t);
                            Some((actions.clone(), shift.clone(), false))
                        }
                    };
                    if let Some((actions, shift, paint)) = hit {
                        s.hits.push(Hit::Cells {
                            x: hx,
                            y: hy,
                            w: hw,
                            h: hh,
                            rows: pixels.rows,
                            cols: pixels.cols,
                            actions,
                            shift,
                            paint,
                            titles,
                        });
                    }
                }
            }
            Mark::Segments { segs, color, width } => {
                let mut pts = Vec::with_capacity(segs.len() * 6);
                for sg in segs {
                    let q = [xpx(tf(sg[0], sx)), ypx(tf(sg[1], sy)), xpx(tf(sg[2], sx)), ypx(tf(sg[3], sy))];
                    if q.iter().all(|v| v.is_finite()) {
                        if !pts.is_empty() {
                            pts.extend([f64::NAN, f64::NAN]);
                        }
                        pts.extend(q);
                    }
                }
                if !pts.is_empty() {
                    s.line(pts, Stroke::solid(*color, *width));
                }
            }
            Mark::Label { x, y, text: t, color } => {
                let (a, b) = (xpx(tf(*x, sx)), ypx(tf(*y, sy)));
                if a.is_finite() && b.is_finite() {
                    s.text(a + 4.0, b - 4.0, t.clone(), TICK, *color, Anchor::Start);
                }
            }
            Mark::Outline { rows, cols, extent, cells, color } => {
                let (xa, xb) = (xpx(tf(extent[0], sx)), xpx(tf(extent[1], sx)));
                let (ya, yb) = (ypx(tf(extent[3], sy)), ypx(tf(extent[2], sy)));
                let (cw, ch) = ((xb - xa) / (*cols).max(1) as f64, (yb - ya) / (*rows).max(1) as f64);
                let lw = (cw.abs().min(ch.abs()) / 6.0).clamp(1.0, 3.0);
                for &c in cells {
                    let (r, k) = (c / (*cols).max(1), c % (*cols).max(1));
                    if r < *rows {
                        s.rect(
                            xa + k as f64 * cw + lw / 2.0,
                            ya + r as f64 * ch + lw / 2.0,
                            cw - lw,
                            ch - lw,
                            None,
                            Some(Stroke::solid(*color, lw)),
                        );
                    }
                }
            }
            Mark::Points { x, y, radius, colors, actions, titles, selected } => {
                for (i, (a, b)) in x.iter().zip(y).enumerate() {
                    let (a, b) = (xpx(tf(*a, sx)), ypx(tf(*b, sy)));
                    if !(a.is_finite() && b.is_finite()) {
                        continue;
                    }
                    let r = radius.get(i).copied().filter(|r| r.is_finite()).unwrap_or(3.0).clamp(1.0, 40.0);
                    let fill = colors.get(i).copied().unwrap_or(scene::PALETTE[0]);
                    let ring = if selected.contains(&i) {
                        Stroke::solid(scene::TEXT, 2.5)
                    } else {
                        Stroke::solid(scene::WHITE, 1.0)
                    };
                    s.items.push(Item::Circle { x: a, y: b, r, fill: Some(fill), stroke: Some(ring) });
                    sample.push((a, b));
                    if let Some(Some(act)) = actions.get(i) {
                        // At least 14 px square, so that small points stay clickable.
                        let h = r.max(7.0);
                        s.hits.push(Hit::Area {
                            x: a - h,
                            y: b - h,
                            w: 2.0 * h,
                            h: 2.0 * h,
                            action: act.clone(),
                            title: titles.get(i).cloned().unwrap_or_default(),
                        });
                    }
                }
            }
            Mark::Fill { rows, cols, extent, cells, color } => {
                let (xa, xb) = (xpx(tf(extent[0], sx)), xpx(tf(extent[1], sx)));
                let (ya, yb) = (ypx(tf(extent[3], sy)), ypx(tf(extent[2], sy)));
                let (cw, ch) = ((xb - xa) / (*cols).max(1) as f64, (yb - ya) / (*rows).max(1) as f64);
                for &c in cells {
                    let (r, k) = (c / (*cols).max(1), c % (*cols).max(1));
                    if r < *rows {
                        s.rect(xa + k as f64 * cw, ya + r as f64 * ch, cw, ch, Some(*color), None);
                    }
                }
            }
            Mark::Live { kind } => {
                live_from.get_or_insert((s.live.len(), s.items.len()));
                s.live.push(LiveRegion {
                    kind: kind.clone(),
                    x: px0,
                    y: py0,
                    w: pw,
                    h: ph,
                    domain: [x0, x1, y0, y1],
                    above: Vec::new(),
                });
            }
        }
    }
    // Marks after a live region are painted again above the live layer, clipped alike.
    if let Some((k, from)) = live_from
        && s.items.len() > from
    {
        let mut above = vec![Item::Clip { x: px0, y: py0, w: pw, h: ph }];
        above.extend(s.items[from..].iter().cloned());
        above.push(Item::Unclip);
        s.live[k].above = above;
    }
    for r in &p.refs {
        let stroke = Stroke { color: r.color, width: 1.2, dash: vec![5.0, 4.0] };
        if r.vertical {
            let x = xpx(tf(r.value, sx));
            if x.is_finite() {
                s.line(vec![x, py0, x, py0 + ph], stroke);
            }
        } else {
            let y = ypx(tf(r.value, sy));
            if y.is_finite() {
                s.line(vec![px0, y, px0 + pw, y], stroke);
            }
        }
    }
    s.items.push(Item::Unclip);
    s.rect(px0, py0, pw, ph, None, Some(Stroke::solid(scene::AXIS, 1.0)));

    // Ticks and labels.
    for (t, l) in &xt {
        let x = xpx(*t);
        s.line(vec![x, py0 + ph, x, py0 + ph + 4.0], Stroke::solid(scene::AXIS, 1.0));
        s.text(x, py0 + ph + 6.0 + text::cap_height(TICK), l.clone(), TICK, scene::MUTED, Anchor::Middle);
    }
    for (t, l) in &yt {
        let y = ypx(*t);
        s.line(vec![px0 - 4.0, y, px0, y], Stroke::solid(scene::AXIS, 1.0));
        s.text(px0 - 6.0, y + text::cap_height(TICK) / 2.0, l.clone(), TICK, scene::MUTED, Anchor::End);
    }
    if !p.x.label.is_empty() {
        let lbl = text::fit(&p.x.label, LABEL, pw + left);
        s.text(px0 + pw / 2.0, py0 + ph + bottom - 4.0, lbl, LABEL, scene::TEXT, Anchor::Middle);
    }
    if !p.y.label.is_empty() {
        let lbl = text::fit(&p.y.label, LABEL, ph + 20.0);
        s.items.push(Item::Text {
            x: 4.0 + text::cap_height(LABEL),
            y: py0 + ph / 2.0,
            text: lbl,
            size: LABEL,
            color: scene::TEXT,
            anchor: Anchor::Middle,
            angle: -90.0,
        });
    }
    // Reference-line labels in the margins.
    for (x, lx, row, r) in placed {
        let y = 8.0 + row as f64 * 15.0 + text::cap_height(TICK);
        s.text(lx, y, r.label.clone(), TICK, r.color, Anchor::Start);
        let _ = x;
    }
    let mut hlabels: Vec<(f64, &super::figure::RefLine)> = p
        .refs
        .iter()
        .filter(|r| !r.vertical && !r.label.is_empty())
        .map(|r| (ypx(tf(r.value, sy)), r))
        .filter(|(y, _)| y.is_finite() && *y >= py0 - 0.5 && *y <= py0 + ph + 0.5)
        .collect();
    hlabels.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut last_y = f64::NEG_INFINITY;
    for (y, r) in hlabels {
        let yy = (y + text::cap_height(TICK) / 2.0).max(last_y + 13.0);
        last_y = yy;
        s.text(px0 + pw + 6.0, yy, r.label.clone(), TICK, r.color, Anchor::Start);
    }

    // Colour bar.
    let mut height = py0 + ph + bottom;
    if let Some(cb) = &p.colorbar {
        let bx = px0 + pw + href_w + 14.0;
        let steps = 64;
        let vals: Vec<f64> = (0..steps)
            .map(|i| cb.domain[1] - (i as f64 + 0.5) / steps as f64 * (cb.domain[1] - cb.domain[0]))
            .collect();
        s.items.push(Item::Image {
            x: bx,
            y: py0,
            w: 12.0,
            h: ph,
            cols: 1,
            rows: steps,
            rgba: cb.cmap.rgba(&vals, cb.domain),
            smooth: true,
        });
        s.rect(bx, py0, 12.0, ph, None, Some(Stroke::solid(scene::AXIS, 1.0)));
        let (lo, hi) = (cb.domain[0], cb.domain[1]);
        let t = colorbar_ticks(cb, ((ph / 40.0).floor() as usize).max(2));
        let mut tw: f64 = 0.0;
        for (v, l) in &t {
            let y = py0 + (hi - v) / (hi - lo) * ph;
            s.line(vec![bx + 12.0, y, bx + 16.0, y], Stroke::solid(scene::AXIS, 1.0));
            s.text(bx + 18.0, y + text::cap_height(TICK) / 2.0, l.clone(), TICK, scene::MUTED, Anchor::Start);
            tw = tw.max(text::width(l, TICK));
        }
        if !cb.label.is_empty() {
            let lbl = text::fit(&cb.label, LABEL, ph + 10.0);
            s.items.push(Item::Text {
                x: bx + 18.0 + tw + 6.0 + text::cap_height(LABEL),
                y: py0 + ph / 2.0,
                text: lbl,
                size: LABEL,
                color: scene::TEXT,
                anchor: Anchor::Middle,
                angle: -90.0,
            });
        }
    }

    // Legend.
    let es = entries(p);
    if !es.is_empty() && p.legend != LegendPos::None {
        let lw = es.iter().map(|e| text::width(&e.label, TICK)).fold(0.0, f64::max) + 30.0;
        let lh = es.len() as f64 * 15.0 + 6.0;
        let corners = [
            (px0 + pw - lw - 6.0, py0 + 6.0),
            (px0 + 6.0, py0 + 6.0),
            (px0 + pw - lw - 6.0, py0 + ph - lh - 6.0),
            (px0 + 6.0, py0 + ph - lh - 6.0),
        ];
        let covered = |cx: f64, cy: f64| {
            sample
                .iter()
                .filter(|(a, b)| {
                    *a >= cx - 4.0 && *a <= cx + lw + 4.0 && *b >= cy - 4.0 && *b <= cy + lh + 4.0
                })
                .count()
        };
        let fits = lw + 12.0 <= pw && lh + 12.0 <= ph;
        let best = corners.iter().map(|&(cx, cy)| (covered(cx, cy), cx, cy)).min_by_key(|c| c.0);
        let inside = match (p.legend, best) {
            (LegendPos::Auto, Some((0, cx, cy))) if fits && !area => Some((cx, cy)),
            _ => None,
        };
        match inside {
            Some((cx, cy)) => {
                s.rect(cx, cy, lw, lh, Some(scene::WHITE.alpha(0.88)), Some(Stroke::solid(scene::GRID, 1.0)));
                for (i, e) in es.iter().enumerate() {
                    draw_entry(&mut s, e, cx + 6.0, cy + 10.5 + 15.0 * i as f64);
                }
            }
            None => {
                // Below the plot, flowing left to right, within the width the scene will
                // have (an equal-aspect plot narrows it to the plot, below).
                let limit = if p.equal { (px0 + pw + right).min(w) } else { w };
                let mut x = px0;
                let mut y = height + 8.0;
                for e in &es {
                    let mut ew = text::width(&e.label, TICK) + 34.0;
                    if x + ew > limit && x > px0 {
                        x = px0;
                        y += 15.0;
                    }
                    if x + ew > limit {
                        // Alone on its line and still too wide: shorten the label (…).
                        let label = text::fit(&e.label, TICK, (limit - x - 34.0).max(20.0));
                        ew = text::width(&label, TICK) + 34.0;
                        draw_entry(&mut s, &Entry { label, ..e.clone() }, x, y);
                    } else {
                        draw_entry(&mut s, e, x, y);
                    }
                    x += ew;
                }
                height = y + 10.0;
            }
        }
    }

    // Clicks in the plane.
    if let Some(c) = &p.click {
        let digits = match c {
            super::figure::PlaneClick::Set { digits, .. } => *digits,
            _ => 4,
        };
        s.hits.push(Hit::Plane {
            x: px0,
            y: py0,
            w: pw,
            h: ph,
            xmap: AxisMap { p0: px0, p1: px0 + pw, lo: x0, hi: x1, log: sx == Scale::Log, digits },
            ymap: AxisMap { p0: py0 + ph, p1: py0, lo: y0, hi: y1, log: sy == Scale::Log, digits },
            mode: c.clone(),
        });
    }
    if let Some(r) = &p.readout {
        let grid = [
            xpx(tf(r.extent[0], sx)),
            xpx(tf(r.extent[1], sx)),
            ypx(tf(r.extent[3], sy)),
            ypx(tf(r.extent[2], sy)),
        ];
        if grid.iter().all(|v| v.is_finite()) && r.rows * r.cols > 0 {
            s.hits.insert(
                0,
                Hit::Readout {
                    x: px0,
                    y: py0,
                    w: pw,
                    h: ph,
                    xmap: AxisMap { p0: px0, p1: px0 + pw, lo: x0, hi: x1, log: sx == Scale::Log, digits: 4 },
                    ymap: AxisMap { p0: py0 + ph, p1: py0, lo: y0, hi: y1, log: sy == Scale::Log, digits: 4 },
                    rows: r.rows,
                    cols: r.cols,
                    grid,
                    names: r.layers.iter().map(|(n, _)| n.clone()).collect(),
                    values: r.layers.iter().map(|(_, v)| v.clone()).collect(),
                },
            );
        }
    }
    s.height = height.ceil();
    if p.equal {
        s.width = (px0 + pw + right).min(w);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::figure::{Axis, Cmap, Figure, Pixels, Style};
    use crate::plot::scene::PALETTE;

    fn texts(s: &Scene) -> Vec<(f64, f64, String)> {
        s.items
            .iter()
            .filter_map(|i| match i {
                Item::Text { x, y, text, .. } => Some((*x, *y, text.clone())),
                _ => None,
            })
            .collect()
    }

    fn capacity_like() -> Plot {
        let load: Vec<f64> = (1..=12).map(|i| 0.02 * i as f64).collect();
        let exact: Vec<f64> = load.iter().map(|l| (1.0 - l * 4.0).clamp(0.0, 1.0)).collect();
        Plot::new(Axis::new("load P/N").domain(0.0, 0.25), Axis::new("success rate").domain(0.0, 1.05))
            .series("exact recall", load.clone(), exact, Style::line(0).with_markers())
            .vline(0.094, "1/(2 ln N) = 0.094", PALETTE[0])
            .vline(0.138, "0.138 (AGS)", PALETTE[1])
    }

    #[test]
    fn scatter_draws_each_point_in_its_own_colour() {
        let colors = vec![PALETTE[0], PALETTE[1]];
        let plot = Plot::new(Axis::new("x"), Axis::new("y")).mark(Mark::Scatter {
            x: vec![0.0, 1.0, f64::NAN, 2.0],
            y: vec![0.0, 1.0, 1.0, 0.5],
            colors,
            shape: Shape::Dot,
            size: 3.0,
        });
        let s = layout_plot(&plot, 300.0);
        let fills: Vec<Color> = s
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Circle { fill: Some(c), r, .. } if *r == 3.0 => Some(*c),
                _ => None,
            })
            .collect();
        // The NaN point is skipped; the fourth point takes the last colour.
        assert_eq!(fills, vec![PALETTE[0], PALETTE[1], PALETTE[1]]);
    }

    #[test]
    fn wide_images_make_short_rows() {
        let item = |rows: usize, cols: usize| crate::plot::figure::ImageItem {
            pixels: Pixels {
                rows,
                cols,
                values: vec![0.0; rows * cols],
                cmap: Cmap::Gray,
                domain: [0.0, 1.0],
            },
            caption: String::new(),
            action: None,
            outline: None,
            title: String::new(),
        };
        // Two per row at 100 px: a 2:1 row (50 px tall) then a square row (100 px).
        let im = Images { items: vec![item(1, 2), item(1, 2), item(4, 4)], size: 100.0 };
        let s = layout_images(&im, 215.0);
        let ys: Vec<(f64, f64)> = s
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Image { y, h, .. } => Some((*y, *h)),
                _ => None,
            })
            .collect();
        assert_eq!(ys, vec![(0.0, 50.0), (0.0, 50.0), (60.0, 100.0)]);
        assert_eq!(s.height, 160.0);
    }

    #[test]
    fn rgb_pixels_keep_their_colours() {
        let values = vec![Cmap::pack(255, 0, 10), Cmap::pack(1, 2, 3), f64::NAN];
        assert_eq!(
            Cmap::Rgb.rgba(&values, [0.0, 1.0]),
            vec![255, 0, 10, 255, 1, 2, 3, 255, 255, 255, 255, 0]
        );
    }

    #[test]
    fn clickable_points_get_hit_areas_at_their_centres() {
        let act = |v: f64| Some(Action::Ui { key: "node".into(), value: v });
        let p = Plot::new(Axis::new("x").domain(0.0, 10.0), Axis::new("y").domain(0.0, 10.0)).mark(
            Mark::Points {
                x: vec![2.0, 8.0, f64::NAN],
                y: vec![5.0, 5.0, 1.0],
                radius: vec![3.0, 10.0, 3.0],
                colors: vec![PALETTE[0], PALETTE[1], PALETTE[2]],
                actions: vec![act(0.0), None, act(2.0)],
                titles: vec!["node 0".into(), "node 1".into(), "node 2".into()],
                selected: vec![1],
            },
        );
        let s = layout_plot(&p, 400.0);
        let circles: Vec<(f64, f64, f64)> = s
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Circle { x, y, r, .. } => Some((*x, *y, *r)),
                _ => None,
            })
            .collect();
        assert_eq!(circles.len(), 2, "the NaN point is skipped");
        // One hit (point 1 has no action, point 2 is not finite), centred on point 0, ≥ 14 px.
        assert_eq!(s.hits.len(), 1);
        let Hit::Area { x, y, w, h, action, title } = &s.hits[0] else { panic!("area") };
        assert!((x + w / 2.0 - circles[0].0).abs() < 1e-9 && (y + h / 2.0 - circles[0].1).abs() < 1e-9);
        assert!(*w >= 14.0 && *h >= 14.0);
        assert_eq!(action, &Action::Ui { key: "node".into(), value: 0.0 });
        assert_eq!(title, "node 0");
        // The selected point has the dark ring.
        assert!(
            s.items.iter().any(
                |i| matches!(i, Item::Circle { r, stroke: Some(st), .. } if *r == 10.0 && st.width == 2.5)
            )
        );
    }

    #[test]
    fn layout_is_deterministic() {
        let f = Figure::new("cap", "Capacity").plot("", capacity_like());
        assert_eq!(layout(&f, 600.0), layout(&f, 600.0));
    }

    #[test]
    fn reference_labels_sit_above_the_plot_area() {
        let s = layout_plot(&capacity_like(), 600.0);
        let Some(Item::Clip { y: top, .. }) = s.items.iter().find(|i| matches!(i, Item::Clip { .. })) else {
            panic!("no plot area");
        };
        for (_, y, t) in texts(&s) {
            if t.contains("ln N") || t.contains("AGS") {
                assert!(y < *top, "{t} at y={y} is inside the plot area starting at {top}");
            }
        }
    }

    #[test]
    fn overlapping_reference_labels_go_to_separate_rows() {
        let p = Plot::new(Axis::new("x").domain(0.0, 1.0), Axis::new("y").domain(0.0, 1.0))
            .vline(0.50, "a long reference label", PALETTE[0])
            .vline(0.52, "another long label", PALETTE[1]);
        let s = layout_plot(&p, 400.0);
        let ys: Vec<f64> =
            texts(&s).into_iter().filter(|(_, _, t)| t.contains("label")).map(|(_, y, _)| y).collect();
        assert_eq!(ys.len(), 2);
        assert!((ys[0] - ys[1]).abs() >= 14.0, "{ys:?}");
    }

    #[test]
    fn legend_avoids_the_data() {
        // A curve through the top-right corner: the legend must not go there.
        let x: Vec<f64> = (0..50).map(|i| i as f64 / 49.0).collect();
        let p =
            Plot::new(Axis::new("x"), Axis::new("y")).series("rising", x.clone(), x.clone(), Style::line(0));
        let s = layout_plot(&p, 500.0);
        let (lx, ly, _) = texts(&s).into_iter().find(|(_, _, t)| t == "rising").expect("legend");
        assert!(lx < 250.0 || ly > 150.0, "legend at {lx},{ly} covers the top-right of the curve");
    }

    #[test]
    fn colorbar_title_fits_the_scene() {
        let pixels = Pixels {
            rows: 2,
            cols: 2,
            values: vec![0.0, 1.0, 2.0, 3.0],
            cmap: Cmap::Viridis,
            domain: [0.0, 3.0],
        };
        let p = Plot::new(Axis::new("γ"), Axis::new("P/N"))
            .mark(Mark::Heatmap {
                pixels,
                extent: [0.0, 1.0, 0.0, 1.0],
                click: CellClick::None,
                smooth: false,
            })
            .colorbar(Cmap::Viridis, [0.0, 3.0], "stable rank of α");
        let s = layout_plot(&p, 360.0);
        for (x, _, t) in texts(&s) {
            assert!(x + 4.0 <= s.width, "{t} at x={x} outside width {}", s.width);
        }
    }

    #[test]
    fn colorbar_takes_its_own_ticks_inside_its_domain() {
        // A bar coloured by √E, labelled in E: 1 at √1, 4 at √4; 25 (√25 = 5) is outside.
        let p = Plot::new(Axis::new("x").domain(0.0, 1.0), Axis::new("y").domain(0.0, 1.0))
            .colorbar(Cmap::Viridis, [0.0, 3.0], "E")
            .colorbar_ticks(vec![(1.0, "1".into()), (2.0, "4".into()), (5.0, "25".into())]);
        let s = layout_plot(&p, 400.0);
        let labels: Vec<String> = texts(&s).into_iter().map(|(_, _, t)| t).collect();
        assert!(labels.contains(&"1".to_string()) && labels.contains(&"4".to_string()), "{labels:?}");
        assert!(!labels.contains(&"25".to_string()), "{labels:?}");
        // 4 sits a third of the way down from the top (3 − 2 = 1 of 3).
        let top = texts(&s).into_iter().find(|(_, _, t)| t == "4").map(|(_, y, _)| y).unwrap_or(f64::NAN);
        let one = texts(&s).into_iter().find(|(_, _, t)| t == "1").map(|(_, y, _)| y).unwrap_or(f64::NAN);
        assert!(top < one, "{top} {one}");
    }

    #[test]
    fn outlined_markers_draw_fill_and_outline_and_legends_show_the_shape() {
        let p = Plot::new(Axis::new("x").domain(0.0, 1.0), Axis::new("y").domain(0.0, 1.0))
            .mark(Mark::Markers {
                x: vec![0.5],
                y: vec![0.5],
                shape: Shape::Half,
                size: 5.0,
                color: scene::WHITE,
                label: "marginal".into(),
            })
            .legend(LegendPos::Below);
        let s = layout_plot(&p, 300.0);
        let halves = s
            .items
            .iter()
            .filter(|i| matches!(i, Item::Path { closed: true, fill: Some(c), .. } if *c == scene::WHITE))
            .count();
        let rings = s
            .items
            .iter()
            .filter(|i| matches!(i, Item::Circle { fill: None, stroke: Some(st), .. } if st.color == OUTLINE))
            .count();
        // One in the plot, one as the legend's swatch.
        assert_eq!((halves, rings), (2, 2));
        assert_eq!(
            Cmap::Wash.rgba(&[1.0, 0.0, f64::NAN], [0.0, 1.0]),
            [255, 255, 255, 120, 255, 255, 255, 0, 255, 255, 255, 0]
        );
    }

    #[test]
    fn marks_after_a_live_region_are_painted_again_above_it() {
        let p = Plot::new(Axis::new("x").domain(0.0, 1.0), Axis::new("y").domain(0.0, 1.0))
            .series("under", vec![0.0, 1.0], vec![0.0, 1.0], Style::line(0))
            .mark(Mark::Live { kind: "dots".into() })
            .series("over", vec![0.0, 1.0], vec![1.0, 0.0], Style::line(1));
        let mut outer = Scene::default();
        outer.append_at(layout_plot(&p, 300.0), 10.0, 20.0);
        let live = &outer.live[0];
        let paths: Vec<&Item> = live.above.iter().filter(|i| matches!(i, Item::Path { .. })).collect();
        assert_eq!(paths.len(), 1, "only the series after the live mark");
        assert!(matches!(live.above.first(), Some(Item::Clip { x, y, .. }) if *x == live.x && *y == live.y));
        // The same path is in the scene's items (exports), shifted alike.
        assert!(outer.items.contains(paths[0]));
    }

    #[test]
    fn table_columns_fit_their_longest_cell() {
        let t = Table {
            columns: vec!["quantity".into(), "‖recovered − stored‖".into()],
            rows: vec![vec!["a".into(), "1.5".into()]],
            highlight: vec![],
        };
        let s = layout_table(&t, 100.0);
        let need = text::width("quantity", 12.0) + text::width("‖recovered − stored‖", 12.0) + 28.0;
        assert!(s.width >= need - 1e-9, "{} < {need}", s.width);
    }

    #[test]
    fn legend_below_an_equal_aspect_plot_wraps_within_its_width() {
        // A wide-and-short equal-aspect plot narrows the scene; the legend below must follow.
        let mut p = Plot::new(Axis::new("x").domain(0.0, 1.0), Axis::new("y").domain(0.0, 1.0)).height(150.0);
        p.equal = true;
        p.legend = LegendPos::Below;
        for k in 0..5 {
            p = p.series(
                format!("a fairly long legend entry {k}"),
                vec![0.0, 1.0],
                vec![0.0, 1.0],
                Style::line(k),
            );
        }
        let s = layout_plot(&p, 800.0);
        assert!(s.width < 400.0, "narrowed to {}", s.width);
        // Every text (legend entries and tick labels alike) ends inside the scene.
        for i in &s.items {
            if let Item::Text { x, text: t, size, anchor, angle, .. } = i
                && *angle == 0.0
            {
                let w = text::width(t, *size);
                let right = match anchor {
                    Anchor::Start => x + w,
                    Anchor::Middle => x + w / 2.0,
                    Anchor::End => *x,
                };
                assert!(right <= s.width + 1.0, "{t} at x={x} ends at {right}, outside width {}", s.width);
            }
        }
    }

    #[test]
    fn empty_figures_say_what_will_appear() {
        let f = Figure::empty("cap", "Capacity", "The capacity curve appears here once it is computed.");
        let s = layout(&f, 400.0);
        assert!(texts(&s).iter().any(|(_, _, t)| t.contains("capacity curve")));
        assert!(!s.items.iter().any(|i| matches!(i, Item::Clip { .. })), "no empty axes");
    }

    #[test]
    fn long_series_are_decimated_but_keep_extremes() {
        let x: Vec<f64> = (0..100_000).map(|i| i as f64).collect();
        let y: Vec<f64> =
            x.iter().map(|v| if *v as i64 == 50_000 { 10.0 } else { (v * 0.01).sin() }).collect();
        let p = Plot::new(Axis::new("x"), Axis::new("y")).series("", x, y, Style::line(0));
        let s = layout_plot(&p, 500.0);
        let n: usize = s
            .items
            .iter()
            .map(|i| if let Item::Path { pts, .. } = i { pts.len() } else { 0 })
            .max()
            .unwrap_or(0);
        assert!(n < 20_000, "{n} coordinates");
        // The spike survives: the scene reaches the top of the plot.
        let Some(Item::Clip { y: top, .. }) = s.items.iter().find(|i| matches!(i, Item::Clip { .. })) else {
            panic!()
        };
        let min_y = s
            .items
            .iter()
            .filter_map(|i| if let Item::Path { pts, .. } = i { Some(pts) } else { None })
            .flat_map(|p| p.iter().skip(1).step_by(2).copied().filter(|v| v.is_finite()).collect::<Vec<_>>())
            .fold(f64::INFINITY, f64::min);
        assert!(min_y < top + 20.0, "{min_y} vs {top}");
    }
}
