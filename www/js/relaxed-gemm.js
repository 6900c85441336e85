// The relaxed-SIMD f32 GEMM (kernels/relaxed-gemm: the core's own GEMM compiled with fused
// multiply-adds), for the wasm core of this thread. Where the browser validates the module
// (relaxed SIMD: Chromium, Firefox; not Safari), it is instantiated with its own memory and
// `hpRelaxedGemm` copies the operands between the two memories: `A` once per training, `B`
// in and `C` out per product. Otherwise nothing changes (the core's baseline SIMD128 GEMM).
// Resolves to whether the kernel is in use; never rejects. (Should a call fail later, the core
// goes back to its own kernel: see crate/src/compute/relaxed.rs.)
export async function installRelaxedGemm(hp, url) {
  try {
    const res = await fetch(url);
    if (!res.ok) return false;
    const bytes = await res.arrayBuffer();
    if (!WebAssembly.validate(bytes)) return false;
    const { instance } = await WebAssembly.instantiate(bytes, {});
    const k = instance.exports;
    // Views are made after each call into the module (a call may grow its memory).
    globalThis.hpRelaxedGemm = {
      pack(a, m, cols) {
        const at = k.scratch(a.length);
        new Float32Array(k.memory.buffer, at, a.length).set(a);
        return k.pack(m, cols);
      },
      gemm(id, b, c, n, alpha, beta) {
        const at = k.operands(b.length, c.length);
        new Float32Array(k.memory.buffer, at, b.length).set(b);
        if (beta !== 0) new Float32Array(k.memory.buffer, at + 4 * b.length, c.length).set(c);
        k.gemm(id, n, alpha, beta);
        c.set(new Float32Array(k.memory.buffer, at + 4 * b.length, c.length));
      },
      release(id) { k.release(id); },
      /** The module's memory in bytes (the memory benchmark adds it to the core's). */
      bytes() { return k.memory.buffer.byteLength; },
    };
    hp.use_relaxed_gemm(true);
    return true;
  } catch {
    return false;
  }
}
