// `jobslot report --chrome-trace` and `--html` on a real traced build: make
// -j2 beneath `jobslot -j 2` (so every slot is known), with a gcc compile
// (make's own job), a `jobslot run -- tsc -b` (TypeScript 7) and a
// `jobslot run -- sh -c "sleep 1"`.
// - The Chrome trace is read by @tracerbench/trace-model, a model builder that
//   follows the Trace Event Format, and checked against the format's rules;
//   on each track, its slot events never overlap.
// - The HTML page opens in Debian's headless chromium (puppeteer-core): no
//   console error, no request leaves the page, and it shows the summary, the
//   table and the graph. Skips, saying why, where chromium is not installed
//   (.ci/run installs it).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildModel } from '@tracerbench/trace-model';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, makeBins, ROOT, run, tempDir } from './support/index.js';

const TSC = join(ROOT, 'test/node_modules/typescript7/bin/tsc');
const JOBS = 2;
const make = makeBins().available[0]!;

/** Debian's chromium, or why there is none. */
function findChromium(): { path?: string; why?: string } {
  for (const path of [process.env.JOBSLOT_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[]) {
    if (existsSync(path)) return { path };
  }
  return { why: 'no chromium: `apt-get install -y chromium` (Debian), or set JOBSLOT_CHROMIUM to its path' };
}

/** A small project of two references for tsc -b, and a C file for gcc. */
function writeBuild(dir: string): void {
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ files: [], references: [{ path: './a' }, { path: './b' }] }));
  for (const p of ['a', 'b']) {
    mkdirSync(join(dir, p, 'src'), { recursive: true });
    for (let f = 0; f < 10; f++) {
      let text = '';
      for (let k = 0; k < 40; k++) text += `export function f${k}<X extends { n: number }>(xs: X[]): number { return xs.reduce((s, x) => s + x.n, ${k}); }\n`;
      writeFileSync(join(dir, p, 'src', `m${f}.ts`), text);
    }
    writeFileSync(join(dir, p, 'tsconfig.json'), JSON.stringify({ compilerOptions: { composite: true, strict: true, outDir: 'dist', rootDir: 'src', target: 'es2022', module: 'esnext' }, include: ['src'] }));
  }
  let c = '#include <stdio.h>\n';
  for (let i = 0; i < 300; i++) c += `static double f${i}(double x) { for (int k = 0; k < ${i % 7 + 3}; k++) x = x * 1.0001 + ${i}; return x; }\n`;
  c += `int main(void) { double s = 0; ${Array.from({ length: 300 }, (_, i) => `s += f${i}(s);`).join(' ')} printf("%f\\n", s); return 0; }\n`;
  writeFileSync(join(dir, 'prog.c'), c);
  writeFileSync(
    join(dir, 'Makefile'),
    [
      'all: prog types sleeper',
      'prog: prog.c',
      '\tgcc -O2 -o $@ $<',
      'types:',
      `\t+node ${CLI} run -- ${TSC} -b`,
      'sleeper:',
      `\t+node ${CLI} run -- sh -c "sleep 1"`,
      '',
    ].join('\n'),
  );
}

describe('jobslot report of a real traced build', () => {
  let dir: string;
  let trace: string;
  beforeAll(async () => {
    dir = tempDir('jobslot-views-');
    writeBuild(dir);
    trace = join(dir, 'trace.jsonl');
    const r = await run('node', [CLI, '-j', String(JOBS), '--', make.bin], { cwd: dir, env: cleanEnv({ JOBSLOT_TRACE: trace }) });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }, 120_000);

  it('--chrome-trace: the Trace Event Format, read by a model builder; slot tracks never overlap; counters within -j', async () => {
    const out = join(dir, 'trace.json');
    const r = await run('node', [CLI, 'report', '--chrome-trace', out, trace], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: Array<Record<string, unknown>>; displayTimeUnit: string };
    expect(Array.isArray(json.traceEvents)).toBe(true);
    expect(['ms', 'ns']).toContain(json.displayTimeUnit);
    // The format's rules for the phases we write.
    for (const e of json.traceEvents) {
      expect(typeof e.name, JSON.stringify(e)).toBe('string');
      expect(['X', 'C', 'M'], JSON.stringify(e)).toContain(e.ph);
      expect(Number.isInteger(e.pid) && Number.isInteger(e.tid), JSON.stringify(e)).toBe(true);
      expect(typeof e.ts === 'number' && (e.ts as number) >= 0, JSON.stringify(e)).toBe(true);
      if (e.ph === 'X') expect(typeof e.dur === 'number' && (e.dur as number) >= 0, JSON.stringify(e)).toBe(true);
      if (e.ph === 'C') expect(Object.values(e.args as object).every((v) => typeof v === 'number'), JSON.stringify(e)).toBe(true);
      if (e.ph === 'M') expect(['process_name', 'thread_name', 'process_sort_index', 'thread_sort_index']).toContain(e.name);
    }
    const model = buildModel(json.traceEvents as never);
    const names = model.processes.map((p) => p.name);
    expect(names.some((n) => n.startsWith('jobslot -j'))).toBe(true);
    expect(names.filter((n) => n.startsWith('jobslot run'))).toHaveLength(2);
    // make's own job, gcc, has a track of its own.
    const threads = model.processes.flatMap((p) => p.threads.map((t) => ({ p, t })));
    expect(threads.some(({ t }) => /^(gcc|cc1) /.test(t.name))).toBe(true);
    let slotEvents = 0;
    for (const { p, t } of threads) {
      const complete = t.events.filter((e) => e.isComplete()).sort((a, b) => a.start - b.start);
      for (let i = 1; i < complete.length; i++) {
        // One track, one slot: the next starts when the one before has ended.
        expect(complete[i]!.start, `${p.name} / ${t.name}`).toBeGreaterThanOrEqual(complete[i - 1]!.end);
      }
      for (const e of complete) expect(e.parent, `${p.name} / ${t.name}: ${e.name} nested`).toBeUndefined();
      slotEvents += complete.filter((e) => e.name === 'token' || e.name === 'slot').length;
    }
    expect(slotEvents).toBeGreaterThanOrEqual(3);
    const slots = json.traceEvents.filter((e) => e.ph === 'C' && e.name === 'slots in use').map((e) => (e.args as { slots: number }).slots);
    expect(Math.max(...slots)).toBe(JOBS);
  });

  const chromium = findChromium();
  if (chromium.why) console.warn(`skipped: the HTML report in a browser: ${chromium.why}`);

  it.skipIf(!chromium.path)('--html: one self-contained page; headless chromium shows the summary, the table and the graph, with no console error', async () => {
    const html = join(dir, 'report.html');
    const r = await run('node', [CLI, 'report', '--html', html, trace], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const text = readFileSync(html, 'utf8');
    // Self-contained: nothing fetched from anywhere.
    expect(text).not.toMatch(/<script[^>]+src=|<link[^>]+href="(?!data:)|@import|url\((?!#)/);
    const { default: puppeteer } = await import('puppeteer-core');
    const browser = await puppeteer.launch({
      executablePath: chromium.path,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${tempDir('jobslot-chromium-')}`],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
      page.on('requestfailed', (q) => problems.push(`request failed: ${q.url()}`));
      const requests: string[] = [];
      page.on('request', (q) => requests.push(q.url()));
      await page.setViewport({ width: 1200, height: 900 });
      await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
      const seen = await page.evaluate(() => ({
        summary: document.querySelector('#summary')?.textContent ?? '',
        rows: document.querySelectorAll('#processes tbody tr').length,
        lanes: document.querySelectorAll('#timeline svg g title').length,
        graph: document.querySelector('#timeline svg')?.getBoundingClientRect().width ?? 0,
        cells: [...document.querySelectorAll('#processes tbody tr td:first-child')].map((td) => td.textContent),
      }));
      const shot = join(dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`HTML report: ${html}, screenshot: ${shot}`);
      if (process.env.JOBSLOT_SCREENSHOT) writeFileSync(process.env.JOBSLOT_SCREENSHOT, readFileSync(shot));
      expect(problems).toEqual([]);
      expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
      expect(seen.summary).toMatch(new RegExp(`peak slots\\s*${JOBS} of -j${JOBS}`));
      expect(seen.summary).toMatch(/tokens returned\s*all/);
      expect(seen.graph).toBeGreaterThan(500);
      // jobslot -j, two jobslot run, and make's own jobs (make, gcc and what it runs) seen in /proc.
      expect(seen.cells.filter((c) => c === 'jobslot run')).toHaveLength(2);
      expect(seen.cells.some((c) => /^(gcc|cc1) /.test(c ?? ''))).toBe(true);
      expect(seen.lanes).toBe(seen.rows);
    } finally {
      await browser.close();
    }
  });

  it('an old trace (before jobslot run wrote its slots) still reports', async () => {
    const old = join(dir, 'old.jsonl');
    // As a jobslot of the last release wrote it: connect lines only from jobslot run, slot lines from clients.
    writeFileSync(
      old,
      [
        { pid: 100, ppid: 99, t: 1000, ev: 'connect', jobs: 2, message: 'pipe', name: 'jobslot' },
        { pid: 101, ppid: 100, t: 1100, ev: 'slot-start', active: 1, pending: 1, label: 'rollup', name: 'rollup' },
        { pid: 101, ppid: 100, t: 1200, ev: 'acquire', byte: 43, held: 1 },
        { pid: 101, ppid: 100, t: 1250, ev: 'slot-start', active: 2, pending: 0 },
        { pid: 101, ppid: 100, t: 1500, ev: 'release', byte: 43, held: 0 },
        { pid: 101, ppid: 100, t: 1500, ev: 'slot-end', active: 0, pending: 0 },
        { pid: 101, ppid: 100, t: 1600, ev: 'exit' },
      ]
        .map((e) => JSON.stringify(e))
        .join('\n') + '\n',
    );
    const r = await run('node', [CLI, 'report', '--svg', join(dir, 'old.svg'), '--html', join(dir, 'old.html'), '--chrome-trace', join(dir, 'old.json'), old], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/peak slots\s+2 of -j2/);
    expect(r.stdout).toMatch(/span\s+0\.60 s/);
    expect(r.stdout).not.toMatch(/churn/);
    expect(readFileSync(join(dir, 'old.html'), 'utf8')).toContain('rollup');
    JSON.parse(readFileSync(join(dir, 'old.json'), 'utf8'));
  });
});

