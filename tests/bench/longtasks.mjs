// What the main thread's long tasks are (a diagnosis aid for the responsiveness bench; not a
// test). Opens QUERY in headless Chromium (CPU path) with a DevTools trace and a JS CPU
// profile running, waits until every part of the lab has run and drawn (a paper page,
// `paper=ID`: until every thumbnail is shown), then prints each main-thread task over 50 ms
// with where its time went: the trace events' self time (JS, layout, paint, GC, …), the
// thread's CPU time in it (a task far longer than its CPU time waited: for another thread, a
// synchronous call to the browser process, or a core), the JS functions with the most samples
// inside it, its large layouts (and the script that forced them), and its synchronous font
// queries to the browser process. Before the tasks: every font query of the page's thread,
// when it came and how long it took (see www/js/fonts.js).
//
//   node tests/bench/longtasks.mjs 'v=1&lab=hhd&preset=prototypes'   env: RUN_LIMIT_S (300), LONG_MS (50)
import { serve, browser, allPartsRan } from '../e2e/harness.mjs';

const query = process.argv[2] || 'v=1&lab=classic';
const RUN_LIMIT_S = Number(process.env.RUN_LIMIT_S || 300);
const LONG_MS = Number(process.env.LONG_MS || 50); // tasks listed: over this many ms
const srv = await serve();
const ctx = await browser();
const page = await ctx.newPage();
const cdp = await ctx.newCDPSession(page);
const events = [];
cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
const traced = new Promise((ok) => cdp.once('Tracing.tracingComplete', ok));
await cdp.send('Tracing.start', {
  categories: 'fonts,devtools.timeline,disabled-by-default-devtools.timeline,disabled-by-default-devtools.timeline.stack,v8,v8.execute,blink,toplevel',
  transferMode: 'ReportEvents',
});
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
await cdp.send('Profiler.start');
await page.goto(`${srv.base}?${query}`);
await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
const t0 = Date.now();
let done = true;
if (new URLSearchParams(query).has('paper')) {
  // A paper page: every thumbnail computed and shown.
  try {
    await page.waitForSelector('.paper[data-done="1"]', { timeout: RUN_LIMIT_S * 1000 });
  } catch { done = false; }
} else {
  try {
    await allPartsRan(page, new URLSearchParams(query).get('lab'), { timeout: RUN_LIMIT_S * 1000, polling: 250 });
  } catch { done = false; }
}
await page.waitForTimeout(1000);
const secs = (Date.now() - t0) / 1000;
const { profile } = await cdp.send('Profiler.stop');
await cdp.send('Tracing.end');
await traced;
await ctx.close();
srv.server.close();

// The renderer main threads.
const mains = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
// Only the page's own (the trace holds other renderers too: a blank page, DevTools' helpers).
const ours = new Set(events.filter((e) => mains.has(`${e.pid}:${e.tid}`) && e.args && JSON.stringify(e.args).includes(srv.base)).map((e) => `${e.pid}:${e.tid}`));
const onMain = (e) => (ours.size ? ours : mains).has(`${e.pid}:${e.tid}`);
const complete = events.filter((e) => e.ph === 'X' && onMain(e) && e.dur !== undefined);
const tasks = complete.filter((e) => e.name === 'RunTask' && e.dur > LONG_MS * 1000).sort((a, b) => a.ts - b.ts);

// CPU profile samples: node id -> function, sample times (µs, same clock as the trace).
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const sampleAt = [];
let t = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) { t += profile.timeDeltas[i]; sampleAt.push([t, profile.samples[i]]); }
const fname = (n) => { const f = n.callFrame; return `${f.functionName || '(anon)'} ${f.url ? f.url.split('/').pop() : ''}:${f.lineNumber + 1}`.trim(); };

// The page thread's synchronous font queries (the first layout of a font at a size asks the
// browser process for its rendering style; a character its fonts lack, for a fallback font).
const FONT_IPC = /GetWebFontRenderStyleForStrike|GetFallbackFontForCharacter|MatchFamilyName/;
const fontIpcs = complete.filter((e) => FONT_IPC.test(e.name)).sort((a, b) => a.ts - b.ts);
const navAt = complete.filter((e) => e.name === 'RunTask').reduce((m, e) => Math.min(m, e.ts), Infinity);
const at = (e) => `+${((e.ts - navAt) / 1e6).toFixed(2)} s`;
console.log(`font queries on the page's thread: ${fontIpcs.length}, ${(fontIpcs.reduce((a, e) => a + e.dur, 0) / 1000).toFixed(0)} ms in all, the last at ${fontIpcs.length ? at(fontIpcs[fontIpcs.length - 1]) : '-'}; over 3 ms: ${fontIpcs.filter((e) => e.dur > 3000).map((e) => `${e.name.split('::').pop()} ${(e.dur / 1000).toFixed(0)} ms at ${at(e)}`).join(', ') || 'none'}`);
console.log(`${query}: ${done ? 'done' : 'NOT done'} in ${secs.toFixed(0)} s; ${tasks.length} main-thread tasks over ${LONG_MS} ms`);
for (const task of tasks) {
  const end = task.ts + task.dur;
  const inner = complete.filter((e) => e !== task && e.pid === task.pid && e.tid === task.tid && e.ts >= task.ts && e.ts + e.dur <= end)
    .sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  // Self time per event name.
  const self = new Map();
  const stack = [];
  const close = (upto) => {
    while (stack.length && stack[stack.length - 1].end <= upto) stack.pop();
  };
  for (const e of inner) {
    close(e.ts);
    const parent = stack[stack.length - 1];
    const label = e.name === 'FunctionCall' ? `FunctionCall ${(e.args?.data?.functionName || '')}` : e.name === 'EvaluateScript' ? `EvaluateScript ${(e.args?.data?.url || '(no url: injected)').split('/').pop()}` : e.name;
    self.set(label, (self.get(label) || 0) + e.dur);
    if (parent) self.set(parent.label, (self.get(parent.label) || 0) - e.dur);
    stack.push({ end: e.ts + e.dur, label });
  }
  const top = [...self].filter(([, d]) => d > 2000).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([n, d]) => `${n} ${(d / 1000).toFixed(0)}`).join(', ');
  // JS self samples in the window.
  const js = new Map();
  let nSamples = 0;
  for (const [ts, id] of sampleAt) {
    if (ts < task.ts || ts > end) continue;
    nSamples++;
    const n = nodes.get(id);
    const k = fname(n);
    js.set(k, (js.get(k) || 0) + 1);
  }
  const step = profile.samples.length ? (sampleAt[sampleAt.length - 1][0] - profile.startTime) / profile.samples.length / 1000 : 0;
  const jtop = [...js].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([n, c]) => `${n} ~${(c * step).toFixed(0)}`).join(' | ');
  console.log(`\n${(task.dur / 1000).toFixed(0)} ms (CPU ${((task.tdur || 0) / 1000).toFixed(0)} ms) at ${at(task)}: ${top}`);
  for (const e of inner.filter((x) => x.name === 'Layout' && x.dur > 20000)) {
    const b = e.args?.beginData || {};
    const from = (b.stackTrace || []).slice(0, 3).map((f) => `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`).join(' < ') || 'the frame (no script)';
    console.log(`   layout ${(e.dur / 1000).toFixed(0)} ms (CPU ${((e.tdur || 0) / 1000).toFixed(0)} ms), ${b.dirtyObjects}/${b.totalObjects} objects dirty, from ${from}`);
  }
  const fq = inner.filter((e) => FONT_IPC.test(e.name) && e.dur > 1000);
  if (fq.length) console.log(`   font queries: ${fq.map((e) => `${e.name.split('::').pop()} ${(e.dur / 1000).toFixed(0)} ms`).join(', ')}`);
  console.log(`   JS: ${jtop}`);
  // Style and layout forced by a script (the trace gives the script's stack for those).
  const forced = inner.filter((e) => (e.name === 'Layout' || e.name === 'UpdateLayoutTree') && (e.args?.beginData?.stackTrace || e.args?.data?.stackTrace)?.length)
    .map((e) => { const f = (e.args.beginData?.stackTrace || e.args.data.stackTrace)[0]; return `${e.name} ${(e.dur / 1000).toFixed(0)} ms from ${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`; });
  if (forced.length) console.log(`   forced: ${forced.join(' | ')}`);
  if (process.env.TREE) {
    const depth = [];
    for (const e of inner) {
      while (depth.length && depth[depth.length - 1] <= e.ts) depth.pop();
      if (depth.length < Number(process.env.TREE) && e.dur > 2000) console.log(`   ${'  '.repeat(depth.length)}${e.name} ${(e.dur / 1000).toFixed(1)} ${e.args?.data?.functionName || e.args?.data?.url?.split('/').pop() || ''}`);
      depth.push(e.ts + e.dur);
    }
  }
}
