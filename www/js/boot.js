// Starts the wasm core. Trunk would inject this as an inline <script>; the page's
// Content-Security-Policy allows no inline script, so Trunk.toml's `pattern_script` loads this
// file instead, with the names of the wasm-bindgen module and the wasm file in data-js and
// data-wasm (relative to the page). It does what Trunk's own loader does: init, then expose
// the bindings as window.wasmBindings and fire TrunkApplicationStarted (app.js waits for it).
const tag = document.querySelector('script[data-wasm][data-js]');
const url = (attr) => new URL(tag.getAttribute(attr), document.baseURI).href;
const bindings = await import(url('data-js'));
const wasm = await bindings.default({ module_or_path: url('data-wasm') });
window.wasmBindings = bindings;
// The relaxed-SIMD GEMM for this thread's own products (benches, tests): loaded when first
// asked for, not at the page's start (the compute workers load their own, js/worker.js).
let relaxedReady = null;
Object.defineProperty(window, 'hpRelaxedReady', {
  get: () => (relaxedReady ??= import('./relaxed-gemm.js').then((m) =>
    m.installRelaxedGemm(bindings, new URL('assets/relaxed-gemm.wasm', document.baseURI).href))),
});
dispatchEvent(new CustomEvent('TrunkApplicationStarted', { detail: { wasm } }));
