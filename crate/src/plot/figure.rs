//! Figures described as data. A lab builds a [`Figure`] from its result: panels (plots,
//! tables, image lists, text), axes (linear or log, domains, ticks, labels), marks (lines,
//! points, bars, bands, error bars, heatmaps, pixel images, segments, text), reference
//! lines, legends, colour bars, and what a click or a drag sets. [`super::layout`] lays a
//! description out once into a [`super::scene::Scene`]; the page paints that on a canvas
//! and the SVG writer writes it, so both show the same figure.

use super::Colormap;
use super::scene::{Action, Color, PALETTE};
use serde::Serialize;

/// A figure: one panel box on the page, one file when exported.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// Its id (`--figure NAME`, file names).
    pub name: String,
    pub title: String,
    pub panels: Vec<Panel>,
    /// Panels side by side at most (fewer on a narrow screen).
    pub columns: usize,
    /// The page gives it the whole width of the figure grid (a large heatmap, panels side by side).
    pub wide: bool,
    /// Lines of text shown under the figure on the page (not drawn into exports).
    pub caption: Vec<String>,
    /// Controls shown with the figure on the page.
    pub controls: Vec<Control>,
    /// The figure's data for CSV export; empty: derived from the marks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<DataTable>,
}

/// A data table (CSV export, and the text alternative of a chart).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct DataTable {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A control the page shows beside a figure.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum Control {
    /// Play / step / reset buttons and a slider over the view-state value `key`
    /// (`0..frames`), e.g. the steps of a recall.
    Player { key: String, frames: usize, label: String },
    /// The link parameters `keys`, shown with this figure instead of the side bar.
    Params { keys: Vec<String> },
    /// Buttons, each doing an action.
    Buttons { buttons: Vec<Button> },
    /// A text field whose characters are appended to the token list `key`, one token each
    /// (typing letters into patterns); `allowed` lists the characters taken.
    Append { key: String, label: String, allowed: String },
    /// Numbers dragged sideways: `template` is text with `{key}` where the value of the
    /// link parameter `key` is shown (e.g. `W = [{w11} {w12}]`). Dragging one changes it
    /// (live layers of the figure follow at once), releasing sets it in the link; the
    /// arrow keys step it. `hint` is shown beside them.
    Drag { template: String, hint: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct Button {
    pub label: String,
    pub title: String,
    pub action: Action,
}

/// One panel of a figure.
#[derive(Debug, Clone, Serialize)]
pub struct Panel {
    /// Drawn above the panel (empty: none).
    pub title: String,
    pub body: Body,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum Body {
    Plot(Box<Plot>),
    Table(Table),
    Images(Images),
    Text {
        lines: Vec<String>,
    },
    /// Nothing computed yet: say what will appear.
    Empty {
        message: String,
    },
}

/// A table panel.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Rows drawn highlighted.
    pub highlight: Vec<usize>,
}

/// Small images in a flowing grid, each with a caption and an optional click action.
#[derive(Debug, Clone, Serialize)]
pub struct Images {
    pub items: Vec<ImageItem>,
    /// Edge of one image in px.
    pub size: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageItem {
    pub pixels: Pixels,
    pub caption: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// Outline colour (a highlighted item).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outline: Option<Color>,
    pub title: String,
}

/// Values on a grid, coloured through a colour map (row 0 at the top).
#[derive(Debug, Clone, Serialize)]
pub struct Pixels {
    pub rows: usize,
    pub cols: usize,
    pub values: Vec<f64>,
    pub cmap: Cmap,
    /// The values mapped to the colour map's ends.
    pub domain: [f64; 2],
}

impl Pixels {
    /// The values of a vector laid out `width` to a row (row 0 at the top; cells past its
    /// end are NaN, which the `Spins` map leaves empty).
    pub fn wrap(values: &[f64], width: usize, cmap: Cmap, domain: [f64; 2]) -> Self {
        let width = width.max(1);
        let rows = values.len().div_ceil(width);
        let mut v = values.to_vec();
        v.resize(rows * width, f64::NAN);
        Self { rows, cols: width, values: v, cmap, domain }
    }
}

/// A colour map by name (serialisable mirror of [`Colormap`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cmap {
    Viridis,
    Diverging,
    Gray,
    /// ±1 states: +1 dark, −1 light (for patterns).
    Spins,
    /// Colours given directly: each value is `r·65536 + g·256 + b` (0…255 each; see
    /// [`Cmap::pack`]), non-finite values transparent; the domain is ignored (photographs).
    Rgb,
    /// A translucent white wash where the value is positive, transparent elsewhere (to mark
    /// regions over another heatmap; the domain is not used).
    Wash,
}

impl Cmap {
    /// RGBA pixels of `values` over `domain` (non-finite values grey).
    pub fn rgba(self, values: &[f64], domain: [f64; 2]) -> Vec<u8> {
        match self {
            Cmap::Spins => values
                .iter()
                .flat_map(|&v| {
                    if v > 0.0 {
                        [29, 37, 51, 255]
                    } else if v.is_finite() {
                        [241, 243, 246, 255]
                    } else {
                        [255, 255, 255, 0]
                    }
                })
                .collect(),
            Cmap::Rgb => values
                .iter()
                .flat_map(|&v| {
                    if v.is_finite() {
                        let c = v.round().clamp(0.0, 16_777_215.0) as u32;
                        [(c >> 16) as u8, (c >> 8) as u8, c as u8, 255]
                    } else {
                        [255, 255, 255, 0]
                    }
                })
                .collect(),
            Cmap::Wash => values
                .iter()
                .flat_map(|&v| if v > 0.0 { [255, 255, 255, 120] } else { [255, 255, 255, 0] })
                .collect(),
            Cmap::Viridis => super::heatmap_rgba(values, domain[0], domain[1], Colormap::Viridis),
            Cmap::Diverging => super::heatmap_rgba(values, domain[0], domain[1], Colormap::Diverging),
            Cmap::Gray => super::heatmap_rgba(values, domain[0], domain[1], Colormap::Gray),
        }
    }
}

impl Cmap {
    /// The value that [`Cmap::Rgb`] shows as the colour `(r, g, b)`.
    pub fn pack(r: u8, g: u8, b: u8) -> f64 {
        f64::from((u32::from(r) << 16) | (u32::from(g) << 8) | u32::from(b))
    }
}

/// Axis scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    #[default]
    Linear,
    Log,
}

/// Tick positions.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum Ticks {
    /// Nice ticks chosen by the layout (1-2-5 steps, decades on a log axis).
    #[default]
    Auto,
    /// No ticks or tick labels.
    None,
    /// These positions and labels.
    Labels { ticks: Vec<(f64, String)> },
}

/// One axis of a plot.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Axis {
    pub label: String,
    pub scale: Scale,
    /// The shown range (data units); `None`: the extent of the marks, padded.
    pub domain: Option<[f64; 2]>,
    pub ticks: Ticks,
    /// Grid lines at the ticks.
    pub grid: bool,
}

impl Axis {
    pub fn new(label: impl Into<String>) -> Self {
        Self { label: label.into(), grid: true, ..Self::default() }
    }

    pub fn log(mut self) -> Self {
        self.scale = Scale::Log;
        self
    }

    pub fn domain(mut self, lo: f64, hi: f64) -> Self {
        self.domain = Some([lo, hi]);
        self
    }

    pub fn ticks(mut self, ticks: Vec<(f64, String)>) -> Self {
        self.ticks = Ticks::Labels { ticks };
        self
    }

    pub fn no_ticks(mut self) -> Self {
        self.ticks = Ticks::None;
        self.grid = false;
        self
    }
}

/// Where the legend goes; `Auto` picks the inside corner that covers the fewest marks,
/// or below the plot when every corner covers some.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LegendPos {
    #[default]
    Auto,
    Below,
    None,
}

/// A dashed reference line across the plot, labelled in the margin (never over the data).
#[derive(Debug, Clone, Serialize)]
pub struct RefLine {
    /// `true`: a vertical line at x = `value`; `false`: horizontal at y = `value`.
    pub vertical: bool,
    pub value: f64,
    pub label: String,
    pub color: Color,
}

/// A colour bar beside a plot.
#[derive(Debug, Clone, Serialize)]
pub struct ColorBar {
    pub cmap: Cmap,
    pub domain: [f64; 2],
    pub label: String,
    /// Tick positions in the domain's units (`Auto`: nice linear ticks), e.g. labels in
    /// E at the positions √E of a bar coloured by √E.
    pub ticks: Ticks,
}

/// Style of a series.
#[derive(Debug, Clone, Serialize)]
pub struct Style {
    pub color: Color,
    pub width: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dash: Vec<f64>,
    /// Draw the connecting line.
    pub line: bool,
    /// Marker radius in px (0: none).
    pub marker: f64,
}

impl Style {
    /// A solid line in palette colour `i`.
    pub fn line(i: usize) -> Self {
        Self { color: PALETTE[i % PALETTE.len()], width: 1.8, dash: Vec::new(), line: true, marker: 0.0 }
    }

    /// Markers only, palette colour `i`.
    pub fn points(i: usize) -> Self {
        Self { line: false, marker: 2.8, ..Self::line(i) }
    }

    pub fn color(mut self, c: Color) -> Self {
        self.color = c;
        self
    }

    pub fn dashed(mut self) -> Self {
        self.dash = vec![4.0, 3.0];
        self
    }

    pub fn with_markers(mut self) -> Self {
        self.marker = 2.6;
        self
    }

    pub fn width(mut self, w: f64) -> Self {
        self.width = w;
        self
    }
}

/// What a click on a heatmap's cell does.
#[derive(Debug, Clone, Serialize, Default)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum CellClick {
    #[default]
    None,
    /// Toggle the cell's index (`row·cols + col`, row 0 at the top) in the list `key`,
    /// for the first `count` cells; dragging paints.
    Toggle { key: String, count: usize },
    /// Paint the first `count` cells of token `token` of the pattern list `key` (see
    /// `params::bits`): a drag draws, or erases when it starts on a lit cell.
    Paint { key: String, token: usize, count: usize },
    /// One action per cell (indexed like the values), optional Shift-click ones, and
    /// optional text shown when the pointer rests on a cell.
    Actions {
        actions: Vec<Option<Action>>,
        shift: Vec<Option<Action>>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        titles: Vec<String>,
    },
}

/// A marker shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    Dot,
    Circle,
    Cross,
    Square,
    /// A dot filled with the colour and outlined dark (readable over any heatmap).
    Disc,
    /// A dark outline with its lower half filled with the colour.
    Half,
    /// A square filled with the colour and outlined dark.
    Block,
}

/// A mark drawn in a plot's data coordinates.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum Mark {
    /// A series (non-finite y values break the line).
    Series { x: Vec<f64>, y: Vec<f64>, style: Style, label: String },
    /// Bars centred on `x`, `width` data units wide, from `base` to `y`; per-bar colours
    /// (empty: `color`).
    Bars { x: Vec<f64>, y: Vec<f64>, width: f64, base: f64, color: Color, colors: Vec<Color>, label: String },
    /// A shaded band between `lo` and `hi`.
    Band { x: Vec<f64>, lo: Vec<f64>, hi: Vec<f64>, color: Color, label: String },
    /// Vertical error bars at `x` from `lo` to `hi`.
    Errors { x: Vec<f64>, lo: Vec<f64>, hi: Vec<f64>, color: Color },
    /// A grid of values over the data rectangle `x0..x1 × y0..y1` (row 0 at the top of
    /// the rectangle, i.e. at `y1`).
    Heatmap { pixels: Pixels, extent: [f64; 4], click: CellClick, smooth: bool },
    /// Markers at points, one shape and colour each (or `color` for all).
    Markers { x: Vec<f64>, y: Vec<f64>, shape: Shape, size: f64, color: Color, label: String },
    /// Markers at points, each in its own colour (`colors[i]`; the last colour for points
    /// past its end), e.g. a point cloud coloured by soft cluster membership. No legend entry.
    Scatter { x: Vec<f64>, y: Vec<f64>, colors: Vec<Color>, shape: Shape, size: f64 },
    /// Line segments `[x0, y0, x1, y1]`.
    Segments { segs: Vec<[f64; 4]>, color: Color, width: f64 },
    /// Text at a data point.
    Label { x: f64, y: f64, text: String, color: Color },
    /// Outlines of some cells of a `rows × cols` grid over the data rectangle `extent`
    /// (cell `r·cols + c`, row 0 at the top), e.g. the flipped pixels of a probe.
    Outline { rows: usize, cols: usize, extent: [f64; 4], cells: Vec<usize>, color: Color },
    /// Some cells of such a grid filled with `color` (translucent: a veil over a heatmap's
    /// cells whose value means little).
    Fill { rows: usize, cols: usize, extent: [f64; 4], cells: Vec<usize>, color: Color },
    /// A region a live layer draws on top (the dense lab's particles).
    Live { kind: String },
    /// Clickable points (a scatter whose points act, e.g. the nodes of a tree): per point a
    /// radius in px, a fill, an optional click action and a tooltip; `selected` points get
    /// a dark ring.
    Points {
        x: Vec<f64>,
        y: Vec<f64>,
        radius: Vec<f64>,
        colors: Vec<Color>,
        actions: Vec<Option<Action>>,
        titles: Vec<String>,
        selected: Vec<usize>,
    },
}

/// What a click (or drag) in a plot's area does, apart from cell clicks.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum PlaneClick {
    /// Set `x_key` and `y_key` to the data point under the pointer (on click, and while
    /// dragging when `drag`), rounded to `digits` significant digits.
    Set { x_key: String, y_key: String, drag: bool, digits: u32 },
    /// Append the clicked point `x,y` to the number list `key` (drawing points).
    Append { key: String },
    /// Replace the number list `key` with the dragged stroke `x0,y0,x1,y1,…` (drawing a curve),
    /// sampled every few pixels, on release.
    Stroke { key: String },
}

/// Values read out under the pointer: hovering the plot shows (x, y) and every layer's value
/// at the grid point nearest the pointer (a `rows × cols` grid whose corner points lie at
/// `extent` = x0, x1, y0, y1; row 0 at y1).
#[derive(Debug, Clone, Serialize)]
pub struct Readout {
    pub rows: usize,
    pub cols: usize,
    pub extent: [f64; 4],
    /// (name, values in row-major order) per layer.
    pub layers: Vec<(String, Vec<f64>)>,
}

/// A plot: two axes and its marks.
#[derive(Debug, Clone, Serialize)]
pub struct Plot {
    pub x: Axis,
    pub y: Axis,
    pub marks: Vec<Mark>,
    pub refs: Vec<RefLine>,
    pub legend: LegendPos,
    pub colorbar: Option<ColorBar>,
    /// Height of the plot area in px (the width follows the page).
    pub height: f64,
    /// One data unit is as many px on x as on y (images, phase planes).
    pub equal: bool,
    pub click: Option<PlaneClick>,
    /// What hovering reads out (the page only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readout: Option<Readout>,
}

impl Plot {
    pub fn new(x: Axis, y: Axis) -> Self {
        Self {
            x,
            y,
            marks: Vec::new(),
            refs: Vec::new(),
            legend: LegendPos::Auto,
            colorbar: None,
            height: 220.0,
            equal: false,
            click: None,
            readout: None,
        }
    }

    /// A grid of pixels as a plot without axes, one data unit per pixel (a pattern, a
    /// state), with some cells outlined in colours; `click` says what a cell click does.
    pub fn pixels(px: Pixels, click: CellClick, outlines: Vec<(Vec<usize>, Color)>, height: f64) -> Self {
        let (rows, cols) = (px.rows, px.cols);
        let extent = [0.0, cols as f64, 0.0, rows as f64];
        let mut p = Self::new(
            Axis::new("").no_ticks().domain(0.0, cols as f64),
            Axis::new("").no_ticks().domain(0.0, rows as f64),
        )
        .mark(Mark::Heatmap { pixels: px, extent, click, smooth: false });
        for (cells, color) in outlines {
            if !cells.is_empty() {
                p = p.mark(Mark::Outline { rows, cols, extent, cells, color });
            }
        }
        p.equal = true;
        p.height = height;
        p
    }

    pub fn height(mut self, h: f64) -> Self {
        self.height = h;
        self
    }

    pub fn mark(mut self, m: Mark) -> Self {
        self.marks.push(m);
        self
    }

    /// A labelled series.
    pub fn series(self, label: impl Into<String>, x: Vec<f64>, y: Vec<f64>, style: Style) -> Self {
        self.mark(Mark::Series { x, y, style, label: label.into() })
    }

    pub fn vline(mut self, x: f64, label: impl Into<String>, color: Color) -> Self {
        self.refs.push(RefLine { vertical: true, value: x, label: label.into(), color });
        self
    }

    pub fn hline(mut self, y: f64, label: impl Into<String>, color: Color) -> Self {
        self.refs.push(RefLine { vertical: false, value: y, label: label.into(), color });
        self
    }

    pub fn colorbar(mut self, cmap: Cmap, domain: [f64; 2], label: impl Into<String>) -> Self {
        self.colorbar = Some(ColorBar { cmap, domain, label: label.into(), ticks: Ticks::Auto });
        self
    }

    /// Ticks of the colour bar at these positions (in the bar's domain), with these labels.
    pub fn colorbar_ticks(mut self, ticks: Vec<(f64, String)>) -> Self {
        if let Some(cb) = &mut self.colorbar {
            cb.ticks = Ticks::Labels { ticks };
        }
        self
    }

    pub fn legend(mut self, pos: LegendPos) -> Self {
        self.legend = pos;
        self
    }

    pub fn panel(self, title: impl Into<String>) -> Panel {
        Panel { title: title.into(), body: Body::Plot(Box::new(self)) }
    }
}

impl Figure {
    pub fn new(name: &str, title: impl Into<String>) -> Self {
        Self {
            name: name.to_string(),
            title: title.into(),
            panels: Vec::new(),
            columns: 1,
            wide: false,
            caption: Vec::new(),
            controls: Vec::new(),
            data: None,
        }
    }

    /// A figure that has nothing to show yet, saying what will appear.
    pub fn empty(name: &str, title: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(name, title)
            .panel(Panel { title: String::new(), body: Body::Empty { message: message.into() } })
    }

    pub fn panel(mut self, p: Panel) -> Self {
        self.panels.push(p);
        self
    }

    pub fn plot(self, title: impl Into<String>, plot: Plot) -> Self {
        self.panel(plot.panel(title))
    }

    pub fn columns(mut self, n: usize) -> Self {
        self.columns = n.max(1);
        self
    }

    /// Ask the page for the whole width of the figure grid.
    pub fn wide(mut self) -> Self {
        self.wide = true;
        self
    }

    pub fn caption(mut self, line: impl Into<String>) -> Self {
        self.caption.push(line.into());
        self
    }

    pub fn control(mut self, c: Control) -> Self {
        self.controls.push(c);
        self
    }

    /// The figure's data as a table: the explicit one, or one row per data point of every
    /// mark (`panel, mark, series, x, y, value`).
    pub fn table(&self) -> DataTable {
        if let Some(d) = &self.data {
            return d.clone();
        }
        let mut t = DataTable {
            columns: ["panel", "mark", "series", "x", "y", "value"].map(String::from).to_vec(),
            rows: Vec::new(),
        };
        let num = |v: f64| if v.is_finite() { format!("{v}") } else { String::new() };
        for p in &self.panels {
            match &p.body {
                Body::Plot(plot) => {
                    for m in &plot.marks {
                        let mut row = |kind: &str, series: &str, x: f64, y: f64, v: Option<f64>| {
                            t.rows.push(vec![
                                p.title.clone(),
                                kind.to_string(),
                                series.to_string(),
                                num(x),
                                num(y),
                                v.map(num).unwrap_or_default(),
                            ]);
                        };
                        match m {
                            Mark::Series { x, y, label, .. } | Mark::Markers { x, y, label, .. } => {
                                for (a, b) in x.iter().zip(y) {
                                    row("series", label, *a, *b, None);
                                }
                            }
                            Mark::Scatter { x, y, .. } => {
                                for (a, b) in x.iter().zip(y) {
                                    row("scatter", "", *a, *b, None);
                                }
                            }
                            Mark::Points { x, y, titles, .. } => {
                                for (i, (a, b)) in x.iter().zip(y).enumerate() {
                                    row("point", titles.get(i).map_or("", String::as_str), *a, *b, None);
                                }
                            }
                            Mark::Bars { x, y, label, .. } => {
                                for (a, b) in x.iter().zip(y) {
                                    row("bars", label, *a, *b, None);
                                }
                            }
                            Mark::Band { x, lo, hi, label, .. } => {
                                for ((a, l), h) in x.iter().zip(lo).zip(hi) {
                                    row("band_lo", label, *a, *l, None);
                                    row("band_hi", label, *a, *h, None);
                                }
                            }
                            Mark::Errors { x, lo, hi, .. } => {
                                for ((a, l), h) in x.iter().zip(lo).zip(hi) {
                                    row("error_lo", "", *a, *l, None);
                                    row("error_hi", "", *a, *h, None);
                                }
                            }
                            Mark::Heatmap { pixels, extent, .. } => {
                                let [x0, x1, y0, y1] = *extent;
                                let (c, r) = (pixels.cols as f64, pixels.rows as f64);
                                for i in 0..pixels.rows {
                                    for j in 0..pixels.cols {
                                        let x = x0 + (j as f64 + 0.5) / c * (x1 - x0);
                                        let y = y1 - (i as f64 + 0.5) / r * (y1 - y0);
                                        row("heatmap", "", x, y, Some(pixels.values[i * pixels.cols + j]));
                                    }
                                }
                            }
                            Mark::Segments { segs, .. } => {
                                for s in segs {
                                    row("segment_start", "", s[0], s[1], None);
                                    row("segment_end", "", s[2], s[3], None);
                                }
                            }
                            Mark::Outline { cols, cells, .. } | Mark::Fill { cols, cells, .. } => {
                                for &c in cells {
                                    row(
                                        "outline",
                                        "",
                                        (c % cols.max(&1)) as f64,
                                        (c / cols.max(&1)) as f64,
                                        None,
                                    );
                                }
                            }
                            Mark::Label { .. } | Mark::Live { .. } => {}
                        }
                    }
                }
                Body::Table(tb) => {
                    // A table panel exports as itself.
                    if self.panels.len() == 1 {
                        return DataTable { columns: tb.columns.clone(), rows: tb.rows.clone() };
                    }
                    for r in &tb.rows {
                        t.rows.push(vec![
                            p.title.clone(),
                            "table".into(),
                            r.join(" | "),
                            String::new(),
                            String::new(),
                            String::new(),
                        ]);
                    }
                }
                Body::Images(im) => {
                    for (k, it) in im.items.iter().enumerate() {
                        for (i, v) in it.pixels.values.iter().enumerate() {
                            let (r, c) = (i / it.pixels.cols.max(1), i % it.pixels.cols.max(1));
                            t.rows.push(vec![
                                p.title.clone(),
                                "image".into(),
                                format!("{k}"),
                                format!("{c}"),
                                format!("{r}"),
                                num(*v),
                            ]);
                        }
                    }
                }
                Body::Text { .. } | Body::Empty { .. } => {}
            }
        }
        t
    }
}

impl DataTable {
    /// RFC 4180 text with `\n` line ends.
    pub fn to_csv(&self) -> String {
        let cell = |s: &str| {
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let mut out = self.columns.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
        out.push('\n');
        for r in &self.rows {
            out.push_str(&r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
        out
    }
}
