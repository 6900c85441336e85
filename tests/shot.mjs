// Ad-hoc: open a page and take a screenshot (not part of the test suite).
import { serve, browser, open } from './e2e/harness.mjs';
const [path = '', out = '/tmp/shot.png', width = '1280', height = '900', wait = '4000', gpu = ''] = process.argv.slice(2);
const srv = await serve();
const ctx = await browser({ webgpu: gpu === 'gpu' });
const { page, errors } = await open(ctx, srv.base, path);
await page.setViewportSize({ width: Number(width), height: Number(height) });
await page.waitForTimeout(Number(wait));
await page.screenshot({ path: out, fullPage: true });
console.log(JSON.stringify({ errors, status: await page.textContent('#backend-status'), notices: await page.textContent('#notices') }));
await ctx.close(); srv.server.close();
