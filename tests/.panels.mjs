// Ad-hoc (not committed): screenshot every panel of a page.
import { serve, browser, open } from './e2e/harness.mjs';
const [path, prefix, sel = '[data-figure]', width = '1280', wait = '8000'] = process.argv.slice(2);
const srv = await serve();
const ctx = await browser();
const { page, errors } = await open(ctx, srv.base, path);
await page.setViewportSize({ width: Number(width), height: 900 });
await page.waitForTimeout(Number(wait));
const els = await page.$$(sel);
let i = 0;
for (const e of els) {
  const name = (await e.getAttribute('data-figure')) || (await e.getAttribute('data-panel')) || String(i);
  await e.screenshot({ path: `${prefix}-${name}.png` });
  i++;
}
console.log(JSON.stringify({ errors, n: els.length }));
await ctx.close(); srv.server.close();
