use std::time::Instant;
fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(700);
    let mut x = nalgebra::DMatrix::<f64>::zeros(n, n + 300);
    let mut s = 1u64;
    for v in x.iter_mut() { s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); *v = ((s >> 11) as f64 / (1u64<<53) as f64) - 0.5; }
    let q = &x * x.transpose();
    let t = Instant::now();
    let e = nalgebra::linalg::SymmetricEigen::new(q.clone());
    println!("nalgebra SymmetricEigen n={n}: {:.3}s {}", t.elapsed().as_secs_f64(), e.eigenvalues[0]);
    let t = Instant::now();
    let (d, _e) = nalgebra::linalg::SymmetricTridiagonal::new(q.clone()).unpack_tridiagonal();
    println!("tridiagonal only: {:.3}s {}", t.elapsed().as_secs_f64(), d[0]);
}
