//! The SVG writer: a [`Scene`] as an SVG document (the `svg` crate builds and escapes it).
//! Coordinates are rounded to 4 significant digits, so the page (wasm) and the CLI (native)
//! write the same document for the same figure even where their floats differ in the last
//! bits; text stays text and axes stay vector; pixel images are embedded as PNG.

use super::scene::{Anchor, Item, Scene, Stroke, round_sig};
use super::text::FAMILY;
use base64::Engine;
use svg::node::element::{self, ClipPath, Definitions, Group};
use svg::{Document, Node as _};

/// A coordinate or size as text, rounded to 4 significant digits.
fn n(x: f64) -> String {
    let r = round_sig(x, 4);
    if r == r.trunc() && r.abs() < 1e15 { format!("{}", r as i64) } else { format!("{r}") }
}

fn stroke_attrs<T: svg::Node>(mut el: T, s: &Stroke) -> T {
    el.assign("stroke", s.color.css());
    el.assign("stroke-width", n(s.width));
    if !s.dash.is_empty() {
        el.assign("stroke-dasharray", s.dash.iter().map(|d| n(*d)).collect::<Vec<_>>().join(" "));
    }
    el
}

/// `pts` (with NaN pairs separating sub-paths) as path data.
fn path_data(pts: &[f64], closed: bool) -> String {
    let mut d = String::new();
    let mut pen = false;
    for p in pts.chunks_exact(2) {
        if !(p[0].is_finite() && p[1].is_finite()) {
            pen = false;
            continue;
        }
        d.push_str(if pen { "L" } else { "M" });
        d.push_str(&n(p[0]));
        d.push(' ');
        d.push_str(&n(p[1]));
        pen = true;
    }
    if closed {
        d.push('Z');
    }
    d
}

/// PNG bytes of `cols × rows` RGBA pixels.
pub fn png_bytes(cols: usize, rows: usize, rgba: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, cols.max(1) as u32, rows.max(1) as u32);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        if let Ok(mut w) = enc.write_header() {
            let _ = w.write_image_data(rgba);
        }
    }
    out
}

enum Node {
    Group(Group),
}

/// A figure as the SVG document every export writes: laid out at
/// [`EXPORT_WIDTH`](super::layout::EXPORT_WIDTH), titled with its title.
pub fn figure_svg(fig: &super::figure::Figure) -> String {
    to_svg(&super::layout::layout(fig, super::layout::EXPORT_WIDTH), &fig.title)
}

/// The scene as an SVG document; `title` becomes its `<title>` (for screen readers).
pub fn to_svg(scene: &Scene, title: &str) -> String {
    let mut doc = Document::new()
        .set("width", n(scene.width))
        .set("height", n(scene.height))
        .set("viewBox", format!("0 0 {} {}", n(scene.width), n(scene.height)))
        .set("font-family", format!("{FAMILY}, DejaVu Sans, sans-serif"));
    if !title.is_empty() {
        doc = doc.add(element::Title::new(title));
    }
    doc =
        doc.add(element::Rectangle::new().set("width", "100%").set("height", "100%").set("fill", "#ffffff"));
    let mut defs = Definitions::new();
    let mut clips = 0usize;
    // Items go into the document, or into the open clip group.
    let mut open: Option<Node> = None;
    let add = |doc: &mut Document, open: &mut Option<Node>, el: Box<dyn svg::Node>| match open {
        Some(Node::Group(g)) => g.append(el),
        None => doc.append(el),
    };
    for it in &scene.items {
        let el: Box<dyn svg::Node> = match it {
            Item::Rect { x, y, w, h, fill, stroke } => {
                let mut r = element::Rectangle::new()
                    .set("x", n(*x))
                    .set("y", n(*y))
                    .set("width", n(*w))
                    .set("height", n(*h))
                    .set("fill", fill.map_or("none".to_string(), |c| c.css()));
                if let Some(s) = stroke {
                    r = stroke_attrs(r, s);
                }
                Box::new(r)
            }
            Item::Path { pts, closed, fill, stroke } => {
                let mut p = element::Path::new()
                    .set("d", path_data(pts, *closed))
                    .set("fill", fill.map_or("none".to_string(), |c| c.css()));
                if let Some(s) = stroke {
                    p = stroke_attrs(p, s).set("stroke-linejoin", "round");
                }
                Box::new(p)
            }
            Item::Circle { x, y, r, fill, stroke } => {
                let mut c = element::Circle::new()
                    .set("cx", n(*x))
                    .set("cy", n(*y))
                    .set("r", n(*r))
                    .set("fill", fill.map_or("none".to_string(), |c| c.css()));
                if let Some(s) = stroke {
                    c = stroke_attrs(c, s);
                }
                Box::new(c)
            }
            Item::Text { x, y, text, size, color, anchor, angle } => {
                let mut t = element::Text::new(text.clone())
                    .set("x", n(*x))
                    .set("y", n(*y))
                    .set("font-size", n(*size))
                    .set("fill", color.css());
                match anchor {
                    Anchor::Start => {}
                    Anchor::Middle => t = t.set("text-anchor", "middle"),
                    Anchor::End => t = t.set("text-anchor", "end"),
                }
                if *angle != 0.0 {
                    t = t.set("transform", format!("rotate({} {} {})", n(*angle), n(*x), n(*y)));
                }
                Box::new(t)
            }
            Item::Image { x, y, w, h, cols, rows, rgba, smooth } => {
                let png = png_bytes(*cols, *rows, rgba);
                let uri = format!(
                    "data:image/png;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(png)
                );
                let mut i = element::Image::new()
                    .set("x", n(*x))
                    .set("y", n(*y))
                    .set("width", n(*w))
                    .set("height", n(*h))
                    .set("preserveAspectRatio", "none")
                    .set("href", uri);
                if !smooth {
                    i = i.set("image-rendering", "pixelated").set("style", "image-rendering:pixelated");
                }
                Box::new(i)
            }
            Item::Clip { x, y, w, h } => {
                if let Some(Node::Group(g)) = open.take() {
                    doc.append(g);
                }
                clips += 1;
                let id = format!("clip{clips}");
                defs.append(
                    ClipPath::new().set("id", id.clone()).add(
                        element::Rectangle::new()
                            .set("x", n(*x))
                            .set("y", n(*y))
                            .set("width", n(*w))
                            .set("height", n(*h)),
                    ),
                );
                open = Some(Node::Group(Group::new().set("clip-path", format!("url(#{id})"))));
                continue;
            }
            Item::Unclip => {
                if let Some(Node::Group(g)) = open.take() {
                    doc.append(g);
                }
                continue;
            }
        };
        add(&mut doc, &mut open, el);
    }
    if let Some(Node::Group(g)) = open.take() {
        doc.append(g);
    }
    if clips > 0 {
        doc.append(defs);
    }
    doc.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::scene::{Color, TEXT};

    #[test]
    fn svg_rounds_numbers_and_escapes_text() {
        let mut s = Scene { width: 100.0, height: 50.0, ..Scene::default() };
        s.text(10.123456, 20.0, "a < b & c", 11.0, TEXT, Anchor::Middle);
        s.line(
            vec![0.0, 0.0, 33.333333, f64::NAN, f64::NAN, f64::NAN, 1.0, 2.0, 3.0, 4.0],
            Stroke::solid(Color::rgb(1, 2, 3), 1.5),
        );
        let out = to_svg(&s, "t");
        assert!(out.contains(r#"x="10.12""#), "{out}");
        assert!(out.contains("a &lt; b &amp; c"), "{out}");
        // Non-finite pairs break the path.
        assert!(out.contains(r#"d="M0 0M1 2L3 4""#), "{out}");
        assert!(out.starts_with("<svg"));
    }

    #[test]
    fn clip_groups_wrap_the_clipped_items() {
        let mut s = Scene { width: 10.0, height: 10.0, ..Scene::default() };
        s.items.push(Item::Clip { x: 1.0, y: 1.0, w: 5.0, h: 5.0 });
        s.rect(0.0, 0.0, 10.0, 10.0, Some(TEXT), None);
        s.items.push(Item::Unclip);
        let out = to_svg(&s, "");
        assert!(out.contains(r#"clip-path="url(#clip1)""#), "{out}");
        assert!(out.contains("<clipPath"), "{out}");
    }

    #[test]
    fn images_embed_as_png() {
        let mut s = Scene { width: 10.0, height: 10.0, ..Scene::default() };
        s.items.push(Item::Image {
            x: 0.0,
            y: 0.0,
            w: 10.0,
            h: 10.0,
            cols: 2,
            rows: 1,
            rgba: vec![0, 0, 0, 255, 255, 255, 255, 255],
            smooth: false,
        });
        let out = to_svg(&s, "");
        assert!(out.contains("data:image/png;base64,iVBOR"), "{out}");
    }
}
