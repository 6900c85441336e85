// Turn the JSON lines of the benchmark run into one markdown table per kernel, with
// ratios of our implementations against the references measured in the same run.
//   node tests/bench/table.mjs results.jsonl
import { readFileSync } from 'node:fs';

const rows = readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
const ORDER = ['native-cpu-2t', 'native-cpu-1t', 'native-cpu', 'native-gpu', 'wasm-cpu', 'webgpu', 'numpy-1t', 'numpy-all', 'tfjs-wasm'];
const RATIOS = [
  ['native-cpu-1t', 'numpy-1t'], ['native-cpu-2t', 'numpy-1t'], ['native-cpu-2t', 'numpy-all'], ['native-cpu', 'numpy-1t'],
  ['wasm-cpu', 'tfjs-wasm'], ['wasm-cpu', 'numpy-1t'], ['webgpu', 'tfjs-wasm'], ['native-gpu', 'numpy-1t'],
];
const fmtT = (s) => (s >= 1 ? `${s.toFixed(2)} s` : s >= 1e-3 ? `${(s * 1e3).toFixed(2)} ms` : `${(s * 1e6).toFixed(0)} µs`);

for (const kernel of [...new Set(rows.map((r) => r.kernel))]) {
  const mine = rows.filter((r) => r.kernel === kernel);
  const impls = ORDER.filter((i) => mine.some((r) => r.impl === i));
  const shapes = [...new Set(mine.map((r) => r.shape))];
  const ratios = RATIOS.filter(([a, b]) => impls.includes(a) && impls.includes(b));
  console.log(`\n### ${kernel} (time · GFLOP/s)\n`);
  console.log(`| shape | ${impls.join(' | ')} | ${ratios.map(([a, b]) => `${a} / ${b}`).join(' | ')} |`);
  console.log(`|---|${impls.map(() => '---').join('|')}|${ratios.map(() => '---').join('|')}|`);
  for (const shape of shapes) {
    const get = (i) => mine.find((r) => r.impl === i && r.shape === shape);
    const cells = impls.map((i) => { const r = get(i); return r ? `${fmtT(r.seconds)} · ${r.gflops}` : '–'; });
    const rs = ratios.map(([a, b]) => { const x = get(a), y = get(b); return x && y ? `${(y.seconds / x.seconds).toFixed(2)}×` : '–'; });
    console.log(`| ${shape} | ${cells.join(' | ')} | ${rs.join(' | ')} |`);
  }
}
console.log('\nRatios are speed-ups (reference time / our time): above 1× we are faster.');
