//! A plain row-major dense matrix: the exchange type between the labs and the
//! compute backends (GPU buffers are row-major too).

use serde::Serialize;

/// Row-major `rows × cols` matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mat<T> {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<T>,
}

impl<T: Copy + Default> Mat<T> {
    /// A zero matrix.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self { rows, cols, data: vec![T::default(); rows * cols] }
    }

    /// Wrap row-major data; `None` when the length does not match.
    pub fn from_vec(rows: usize, cols: usize, data: Vec<T>) -> Option<Self> {
        (data.len() == rows * cols).then_some(Self { rows, cols, data })
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[T] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Row `i`, mutable.
    pub fn row_mut(&mut self, i: usize) -> &mut [T] {
        &mut self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Entry `(i, j)`.
    pub fn at(&self, i: usize, j: usize) -> T {
        self.data[i * self.cols + j]
    }

    /// The transpose.
    pub fn transpose(&self) -> Self {
        let mut t = Self::zeros(self.cols, self.rows);
        for i in 0..self.rows {
            for j in 0..self.cols {
                t.data[j * self.rows + i] = self.data[i * self.cols + j];
            }
        }
        t
    }

    /// Rows as nested vectors (for JSON output).
    pub fn to_rows(&self) -> Vec<Vec<T>> {
        self.data.chunks(self.cols.max(1)).map(<[T]>::to_vec).collect()
    }
}

impl Mat<f64> {
    /// Convert to f32 (the GPU's precision).
    pub fn to_f32(&self) -> Mat<f32> {
        Mat { rows: self.rows, cols: self.cols, data: self.data.iter().map(|&x| x as f32).collect() }
    }

    /// The largest absolute entry difference to `other` (∞ when the shapes differ).
    pub fn max_abs_diff(&self, other: &Mat<f64>) -> f64 {
        if (self.rows, self.cols) != (other.rows, other.cols) {
            return f64::INFINITY;
        }
        self.data.iter().zip(&other.data).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)
    }
}

impl Mat<f32> {
    /// Convert to f64.
    pub fn to_f64(&self) -> Mat<f64> {
        Mat { rows: self.rows, cols: self.cols, data: self.data.iter().map(|&x| f64::from(x)).collect() }
    }
}
