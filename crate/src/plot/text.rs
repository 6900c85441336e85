//! Text metrics of the one figure font (`assets/fonts/figure-sans.ttf`, a subset of DejaVu
//! Sans made by `crate/scripts/subset_font.py`).
//!
//! Layout happens once, in Rust, so Rust must know how wide a label is. The page draws with
//! the same font (loaded with `@font-face`, kerning off) and the CLI's rasteriser is given
//! it, so the widths measured here are the widths every face draws.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The font file, shared with the page (copied to the site) and the CLI's PNG renderer.
pub static FONT: &[u8] = include_bytes!("../../assets/fonts/figure-sans.ttf");

/// The CSS/SVG family name under which every face knows [`FONT`].
pub const FAMILY: &str = "Figure Sans";

struct Metrics {
    units_per_em: f64,
    ascent: f64,
    advances: HashMap<char, f64>,
    fallback: f64,
}

fn metrics() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(|| {
        let Ok(face) = ttf_parser::Face::parse(FONT, 0) else {
            // The font is compiled in; a parse failure would be a build defect caught by the tests.
            return Metrics {
                units_per_em: 1000.0,
                ascent: 760.0,
                advances: HashMap::new(),
                fallback: 600.0,
            };
        };
        let mut advances = HashMap::new();
        if let Some(cmap) = face.tables().cmap {
            for sub in cmap.subtables {
                if !sub.is_unicode() {
                    continue;
                }
                sub.codepoints(|cp| {
                    if let (Some(ch), Some(g)) = (char::from_u32(cp), sub.glyph_index(cp))
                        && let Some(adv) = face.glyph_hor_advance(g)
                    {
                        advances.insert(ch, f64::from(adv));
                    }
                });
            }
        }
        let fallback = advances.get(&'0').copied().unwrap_or(600.0);
        Metrics {
            units_per_em: f64::from(face.units_per_em()),
            ascent: f64::from(face.ascender()),
            advances,
            fallback,
        }
    })
}

/// The advance width of `text` at `size` px (combining marks advance by their own width, 0).
pub fn width(text: &str, size: f64) -> f64 {
    let m = metrics();
    let units: f64 = text.chars().map(|c| m.advances.get(&c).copied().unwrap_or(m.fallback)).sum();
    units * size / m.units_per_em
}

/// The height of capital letters above the baseline at `size` px (to centre a label on a line).
pub fn cap_height(size: f64) -> f64 {
    0.73 * size
}

/// The font's ascent at `size` px.
pub fn ascent(size: f64) -> f64 {
    let m = metrics();
    m.ascent * size / m.units_per_em
}

/// Whether the font has a glyph for `c` (figures should only use characters it has).
pub fn has_glyph(c: char) -> bool {
    metrics().advances.contains_key(&c)
}

/// `text` cut to at most `max` px, with an ellipsis when it was cut.
pub fn fit(text: &str, size: f64, max: f64) -> String {
    if width(text, size) <= max {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        out.push(c);
        if width(&out, size) + width("…", size) > max {
            out.pop();
            break;
        }
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_parses_and_measures() {
        assert!(width("0", 10.0) > 5.0 && width("0", 10.0) < 7.0, "{}", width("0", 10.0));
        assert!((width("00", 11.0) - 2.0 * width("0", 11.0)).abs() < 1e-12);
        assert!(width("W", 12.0) > width("i", 12.0));
        assert_eq!(width("", 12.0), 0.0);
        assert!(ascent(10.0) > 7.0 && ascent(10.0) < 10.0);
    }

    #[test]
    fn figure_characters_have_glyphs() {
        for c in "ξμγρλαβτσ‖∇⊙≤≥±√−×·→←₀₁₂³⁻¹⁰²ΞΛ∞≈✕…–—▶".chars()
        {
            assert!(has_glyph(c), "no glyph for {c:?}");
        }
    }

    #[test]
    fn fit_cuts_with_an_ellipsis() {
        let s = fit("a very long label that cannot fit", 11.0, 60.0);
        assert!(s.ends_with('…'));
        assert!(width(&s, 11.0) <= 60.0);
        assert_eq!(fit("short", 11.0, 200.0), "short");
    }
}
