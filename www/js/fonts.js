// The page's text styles, laid out once (hidden) at the page's start, before the compute
// workers run.
//
// Why: the first time a page lays out text in a new font at a new size (a "strike"), Chromium
// on Linux asks the browser process, synchronously, for that strike's rendering style (and
// for a fallback font for each character its fonts lack). The page's thread waits for the
// answer. At the start the answer takes a few ms; once the lab's workers keep every core busy
// it took 60–95 ms on a 2-core machine (traced: `GetWebFontRenderStyleForStrike`), which made
// the first caption or table of a figure a main-thread task over 100 ms. Asked for here, at
// the start, every later layout finds them cached. (README: "Fonts asked for at the start".)
//
// The specimen copies the classes of the text the figures add later (captions, figure
// controls, data tables, readouts, the About text with its formulas), so
// the stylesheet gives it the same fonts and sizes. It holds every non-ASCII character the
// labs' texts use, so their fallback fonts are asked for too.

/**
 * Every non-ASCII character the labs' texts use (the browser test checks the pages against
 * it), the Greek alphabet, and the combining accents over a letter.
 */
export const GLYPHS = 'Aa0 x\u0303 x\u0304 x\u0307 x\u0308 ±²³µ·¹¼½×÷øĀāĖĝŴżʳʸ˙ΓΔΘΛΞΠΣΦΨΩαβγδεζηθικλμνξοπρστυφχψωᵀᵏᵗᵢḡẋẏỹ–—‖’“”•…′⁰⁴⁵⁶⁷⁸⁹⁺⁻ⁿ₀₁₂₃₊₋ₐₛℓℝ←→↗↦⇔∂∇∈∑−∓√∝∞∥∫≈≠≤≥≪≫≲≳≼⊙⊤⊥⌊⌋■▶○●◐✓✕✗❚⟨⟩⟲⪰ⱼ';
// A formula's one-letter identifiers are drawn in italic letters of their own (Unicode's
// mathematical alphanumerics), each a character the page's fonts may lack: one query each, so
// they come ten to a snippet.
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZαβγδεζηθικλμνξπρστυφχψωΓΔΘΛΞΠΣΦΨΩ';
const MATH = `<math><msup><mi g></mi><msub><mi>x</mi><mn g></mn></msub></msup><mo g></mo></math>`;
const mathLetters = (from) => `<section class="panel about"><p><math>${[...LETTERS].slice(from, from + 10).map((c) => `<mi>${c}</mi>`).join('')}</math></p></section>`;

/**
 * One snippet per text style that the figures and the About text add later, in the classes
 * (and the nesting) that the stylesheet gives its font and size by. Each is laid out in a
 * task of its own. The elements marked `g` get the glyphs.
 */
export const SPECIMENS = [
  '<section class="panel figure-panel"><header><h3 g></h3><button class="dl" g></button></header></section>',
  '<section class="panel figure-panel"><div class="figure-controls"><div class="control"><span g></span><span class="key" g></span></div><div class="drag-numbers"><span g></span><span class="scrub" g></span></div></div><div class="readout hint" g></div><div class="panel-error" g></div></section>',
  '<section class="panel figure-panel"><div class="caption"><p g></p><p><sub g></sub><sup g></sup><sup><sub g></sub></sup><i g></i><b g></b></p></div></section>',
  '<section class="panel figure-panel"><details class="data-table" open><summary g></summary><table><tr><th g></th><td g></td><td><code g></code></td></tr></table></details></section>',
  '<section class="panel figure-panel"><div class="pattern-list"><figure><span g></span><figcaption g></figcaption></figure></div><p class="stats" g></p><p class="hint" g></p></section>',
  '<section class="panel about"><h2 g></h2><h3 g></h3><p g></p><p><i g></i><b g></b><code g></code><sub g></sub><sup g></sup><sup><sub g></sub></sup></p></section>',
  `<section class="panel about"><p>${MATH}</p></section>`,
  ...Array.from({ length: Math.ceil(LETTERS.length / 10) }, (_, i) => mathLetters(10 * i)),
];

/** A snippet in its hidden box, its glyphs filled in (not yet in the page). */
export function specimen(html) {
  const box = document.createElement('div');
  box.id = 'type-specimen';
  box.setAttribute('aria-hidden', 'true');
  box.innerHTML = html;
  for (const e of box.querySelectorAll('[g]')) e.textContent = GLYPHS;
  return box;
}

/**
 * Lay out each snippet (hidden, off the page) and remove it, one per task, so that none is a
 * long task. Resolves when done.
 */
export async function warmFonts() {
  if (typeof document === 'undefined' || !document.body) return;
  for (const html of SPECIMENS) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    const box = specimen(html);
    document.body.append(box);
    void box.offsetHeight; // the layout that asks for the fonts
    box.remove();
  }
}
