// `hopfield reproduce PAPER --quick`: every paper of `--list` writes every figure its
// manifest lists (SVG, PNG, CSV), and every file parses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, CLI_PATH } from './harness.mjs';
import { parseCsv } from '../../www/js/csv.js';

const cli = CLI_PATH;
const papers = execFileSync(cli, ['reproduce', '--list'], { encoding: 'utf8' }).trim().split('\n').map((l) => l.split('\t'));

test('--list gives an id, a tab and a citation per paper', () => {
  assert.ok(papers.length >= 6, `${papers.length} papers`);
  for (const [id, citation] of papers) {
    assert.match(id, /^[a-z0-9-]+$/);
    assert.ok(citation && citation.length > 20, `${id}: ${citation}`);
  }
  for (const id of ['hopfield1982', 'tamamori', 'sargolzaei-rueda', 'fanaskov-oseledets', 'tomoto-teramae', 'jaffe']) {
    assert.ok(papers.some(([p]) => p === id), id);
  }
});

for (const [id] of papers) {
  test(`reproduce ${id} --quick writes every figure it lists`, () => {
    const dir = mkdtempSync(join(tmpdir(), `reproduce-${id}-`));
    try {
      execFileSync(cli, ['reproduce', id, '--out', dir, '--quick'], { stdio: ['ignore', 'ignore', 'pipe'] });
      const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      assert.equal(m.paper, id);
      assert.equal(m.quick, true);
      assert.ok(m.figures.length > 0, 'no figures');
      for (const f of m.figures) {
        for (const k of ['name', 'preset', 'query', 'files', 'seconds']) assert.ok(k in f, `${f.name}: no ${k}`);
        assert.ok('compared' in f);
        assert.match(f.query, /^v=1&lab=/);
        assert.ok(f.files.some((x) => x.endsWith('.svg')) && f.files.some((x) => x.endsWith('.png')), `${f.name}: ${f.files}`);
        for (const file of f.files) {
          const path = join(dir, file);
          assert.ok(existsSync(path), `${file} listed but not written`);
          const bytes = readFileSync(path);
          if (file.endsWith('.svg')) {
            const s = bytes.toString('utf8');
            assert.match(s, /^<svg[\s>]/, file);
            assert.match(s.trimEnd(), /<\/svg>$/, file);
            // (Embedded images are base64, whose alphabet has no quotes, commas or spaces.)
            assert.doesNotMatch(s, /[\s"(,=](NaN|undefined)\b/, file);
          } else if (file.endsWith('.png')) {
            assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], `${file} is not a PNG`);
            assert.ok(bytes.readUInt32BE(16) > 0 && bytes.readUInt32BE(20) > 0, `${file}: empty image`);
          } else if (file.endsWith('.csv')) {
            const rows = parseCsv(bytes.toString('utf8'));
            assert.ok(rows.length >= 2, `${file}: no rows`);
            for (const r of rows) assert.equal(r.length, rows[0].length, `${file}: ragged row ${r}`);
          } else assert.fail(`unexpected file ${file}`);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
