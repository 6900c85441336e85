// Lab id -> hand-written view module, for labs not yet moved to figures described in Rust
// (the lab contract: labs with figures are drawn by labview.js).
import dense from './dense.js';

export const renderers = { dense };
