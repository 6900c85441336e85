//! Data sets that ship inside the binary (nothing is downloaded at run time).

/// One 8×8 digit of scikit-learn's `load_digits` (UCI optical recognition of
/// handwritten digits, E. Alpaydin 1998; BSD-3 via scikit-learn).
#[derive(Debug, Clone, Copy)]
pub struct Digit {
    pub label: u8,
    /// Row-major 8×8 pixels in `0..=16`.
    pub pixels: [u8; 64],
}

/// The 1,797 digits, converted by `crate/scripts/fetch_digits.py`
/// (65-byte records: label, then 64 pixels).
static DIGITS_BIN: &[u8] = include_bytes!("../../assets/digits8x8.bin");

/// All 1,797 digits in the order of scikit-learn's `load_digits()`.
pub fn digits() -> Vec<Digit> {
    DIGITS_BIN
        .chunks_exact(65)
        .map(|rec| {
            let mut pixels = [0u8; 64];
            pixels.copy_from_slice(&rec[1..]);
            Digit { label: rec[0], pixels }
        })
        .collect()
}

/// The mean image of each class `0..=9` (pixel values in `0..=16`).
pub fn digit_class_means() -> [[f64; 64]; 10] {
    let mut sums = [[0.0; 64]; 10];
    let mut counts = [0usize; 10];
    for d in digits() {
        let c = usize::from(d.label.min(9));
        counts[c] += 1;
        for (s, &p) in sums[c].iter_mut().zip(&d.pixels) {
            *s += f64::from(p);
        }
    }
    for (s, &n) in sums.iter_mut().zip(&counts) {
        for x in s.iter_mut() {
            *x /= n.max(1) as f64;
        }
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_match_scikit_learn() {
        let d = digits();
        assert_eq!(d.len(), 1797);
        let mut counts = [0usize; 10];
        for x in &d {
            counts[usize::from(x.label)] += 1;
            assert!(x.pixels.iter().all(|&p| p <= 16));
        }
        // np.bincount(load_digits().target)
        assert_eq!(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
        // load_digits().data[0][:8] and target[0]
        assert_eq!(d[0].label, 0);
        assert_eq!(&d[0].pixels[..16], &[0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0]);
    }
}
