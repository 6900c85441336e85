// Lab id -> view module. A lab without an entry shows a plain notice.
import classic from './classic.js';
import dense from './dense.js';
import klr from './klr.js';

export const renderers = { classic, dense, klr };
