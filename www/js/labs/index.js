// Lab id -> hand-written view module, for labs not yet moved to figures described in Rust
// (the lab contract: labs with figures are drawn by labview.js).
import klr from './klr.js';

export const renderers = { klr };
