//! ±1 patterns carried in a link: a list of tokens separated by `.`, each either one
//! character `A`–`Z` or `0`–`9` (that letter, drawn with a 5×7 font into the pattern's grid —
//! `pats=H.E.L.P` is a readable link) or `_` followed by the pattern's bits in base64url
//! (6 bits a character, most significant first; bit 1 = +1). Painting a letter turns it into bits.

/// The 5×7 font: each glyph is 7 rows of 5 bits (most significant = leftmost column).
fn glyph(c: char) -> Option<[u8; 7]> {
    Some(match c.to_ascii_uppercase() {
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x0A, 0x04, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        _ => return None,
    })
}

/// Letter `c` drawn into `n` cells of a grid `cols` wide (scaled to fill it, centred);
/// `None` for a character the font lacks.
pub fn letter(c: char, n: usize, cols: usize) -> Option<Vec<bool>> {
    let g = glyph(c)?;
    let cols = cols.max(1);
    let rows = n.div_ceil(cols);
    // The largest integer-free scale that keeps the 5:7 shape inside the grid, with a margin.
    let scale = ((cols as f64 - 1.0) / 5.0).min((rows as f64 - 1.0) / 7.0).max(0.1);
    let (w, h) = (5.0 * scale, 7.0 * scale);
    let (x0, y0) = ((cols as f64 - w) / 2.0, (rows as f64 - h) / 2.0);
    Some(
        (0..n)
            .map(|i| {
                let (r, c) = ((i / cols) as f64 + 0.5, (i % cols) as f64 + 0.5);
                let (gx, gy) = (((c - x0) / scale).floor(), ((r - y0) / scale).floor());
                (0.0..5.0).contains(&gx)
                    && (0.0..7.0).contains(&gy)
                    && g[gy as usize] & (0x10 >> gx as usize) != 0
            })
            .collect(),
    )
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `bits` as a token (`_` + base64url).
pub fn encode(bits: &[bool]) -> String {
    let mut s = String::from("_");
    for chunk in bits.chunks(6) {
        let mut v = 0usize;
        for (k, &b) in chunk.iter().enumerate() {
            if b {
                v |= 32 >> k;
            }
        }
        s.push(B64[v] as char);
    }
    s
}

/// A token as `n` bits: a letter drawn into a grid `cols` wide, or `_`-prefixed base64url
/// bits (exactly `ceil(n/6)` characters). `None` when the token does not fit `n`.
pub fn decode(token: &str, n: usize, cols: usize) -> Option<Vec<bool>> {
    let mut chars = token.chars();
    match (chars.next(), chars.as_str()) {
        (Some('_'), rest) => {
            if rest.len() != n.div_ceil(6) {
                return None;
            }
            let mut bits = Vec::with_capacity(n);
            for ch in rest.bytes() {
                let v = B64.iter().position(|&b| b == ch)?;
                for k in 0..6 {
                    if bits.len() < n {
                        bits.push(v & (32 >> k) != 0);
                    }
                }
            }
            Some(bits)
        }
        (Some(c), "") => letter(c, n, cols),
        _ => None,
    }
}

/// Paint cells of token `which` of the list `text` (tokens separated by `.`): every cell in
/// `cells` takes the opposite of the first cell's current value (a stroke draws or erases).
/// Returns the new list, or `None` when the token is missing or does not fit `n`.
pub fn paint(text: &str, which: usize, n: usize, cols: usize, cells: &[usize]) -> Option<String> {
    let mut tokens: Vec<String> = text.split('.').filter(|t| !t.is_empty()).map(str::to_string).collect();
    let mut bits = decode(tokens.get(which)?, n, cols)?;
    let first = *cells.first()?;
    let value = !*bits.get(first)?;
    for &c in cells {
        if let Some(b) = bits.get_mut(c) {
            *b = value;
        }
    }
    tokens[which] = encode(&bits);
    Some(tokens.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip() {
        for n in [1usize, 5, 6, 7, 64, 100] {
            let bits: Vec<bool> = (0..n).map(|i| (i * 7 + 3) % 5 < 2).collect();
            let tok = encode(&bits);
            assert_eq!(tok.len(), 1 + n.div_ceil(6));
            assert_eq!(decode(&tok, n, 10), Some(bits));
        }
        assert_eq!(decode("_AA", 100, 10), None, "wrong length");
        assert_eq!(decode("_!!", 12, 4), None, "not base64url");
    }

    #[test]
    fn letters_fill_the_grid_and_differ() {
        let h = letter('H', 100, 10).expect("H");
        let e = letter('E', 100, 10).expect("E");
        assert_ne!(h, e);
        let lit = h.iter().filter(|&&b| b).count();
        assert!((15..60).contains(&lit), "{lit} pixels lit");
        // H is left-right symmetric in a grid of even width.
        for r in 0..10 {
            for c in 0..5 {
                assert_eq!(h[r * 10 + c], h[r * 10 + 9 - c], "row {r}");
            }
        }
        assert!(letter('?', 100, 10).is_none());
    }

    #[test]
    fn painting_draws_or_erases_from_the_first_cell() {
        let blank = encode(&[false; 16]);
        let text = format!("A.{blank}");
        let drawn = paint(&text, 1, 16, 4, &[0, 1, 5]).expect("paints");
        let bits = decode(drawn.split('.').nth(1).expect("token"), 16, 4).expect("bits");
        assert!(bits[0] && bits[1] && bits[5] && !bits[2]);
        let erased = paint(&drawn, 1, 16, 4, &[1, 2]).expect("erases");
        let bits = decode(erased.split('.').nth(1).expect("token"), 16, 4).expect("bits");
        assert!(!bits[1] && !bits[2] && bits[0]);
        assert!(drawn.starts_with("A."), "other tokens are kept");
        assert_eq!(paint(&text, 5, 16, 4, &[0]), None);
    }
}
