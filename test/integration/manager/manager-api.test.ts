import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagerCharts, ManagerOverview } from '../../../terminal/http/routes/manager-types.js';
import { MANAGER, type ManagerRig, startManagerRig } from '../../e2e/manager-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/** Prometheus text exposition (0.0.4): `name{labels} value` lines, `# HELP`/`# TYPE` comments. */
function parsePrometheus(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

describe('manager API, /metrics, /healthz, /readyz', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let rig: ManagerRig;
  let token: string;
  const get = (path: string, auth = true) =>
    fetch(`${rig.terminal.url}${path}`, auth ? { headers: { authorization: `Bearer ${token}` } } : {});
  const post = (path: string, body: unknown) =>
    fetch(`${rig.terminal.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    tmp = makeTempDir('veriterm-manager-api-');
    rig = await startManagerRig({ dir: tmp.dir });
    const res = await fetch(`${rig.terminal.url}/api/v1/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: MANAGER.user, pin: MANAGER.pin }),
    });
    token = ((await res.json()) as { data: { token: string } }).data.token;
  }, 60_000);
  afterAll(async () => {
    await rig?.stop();
    tmp?.cleanup();
  });

  it('prints a sale through the print queue, previews it as PNG and reprints it', async () => {
    const genuine = rig.codes.filter((c) => c.expect === 'genuine');
    // A shopper checks the pack at the kiosk, then it is sold.
    expect((await post('/api/v1/verify', { data: genuine[0]!.scan })).status).toBe(200);
    const res = await post('/api/v1/sales', { lines: [{ data: genuine[0]!.scan }] });
    expect(res.status).toBe(201);
    await rig.printer.waitForReceipts(1, { timeoutMs: 10_000 });
    const overview = ((await (await get('/api/v1/manager/overview')).json()) as { data: ManagerOverview })
      .data;
    const job = overview.receipts[0]!;
    expect(job.kind).toBe('receipt');
    const png = await get(`/api/v1/manager/receipts/${job.id}/preview.png`);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(
      Buffer.from(await png.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    expect((await post('/api/v1/manager/receipts/reprint', {})).status).toBe(200);
    await rig.printer.waitForReceipts(2, { timeoutMs: 10_000 });
    // Health carries the registry, storage, process, printer and scanner items.
    const components = overview.health.items.map((i) => i.component);
    expect(components).toEqual(
      expect.arrayContaining([
        'registry',
        'storage',
        'process',
        'clock',
        'printer:receipt',
        'scanner:kiosk-1',
      ]),
    );
    expect(overview.registry?.version).toBeGreaterThan(0);
  });

  it('charts checks and sales per hour and exports the day as CSV', async () => {
    const charts = ((await (await get('/api/v1/manager/charts?hours=3')).json()) as { data: ManagerCharts })
      .data;
    expect(charts.hours).toHaveLength(3);
    expect(charts.sales.at(-1)).toBeGreaterThanOrEqual(1);
    expect(charts.checks.genuine?.at(-1)).toBeGreaterThanOrEqual(1);
    const day = new Date().toISOString().slice(0, 10);
    const csv = await (await get(`/api/v1/manager/ledger.csv?day=${day}`)).text();
    const [header, ...rows] = csv.trim().split('\r\n');
    expect(header).toBe(
      'seq,id,type,at,store_id,terminal_id,code_key,sale_id,payload,prev_hash,hash,signature',
    );
    expect(rows.some((r) => r.split(',')[2] === 'sale')).toBe(true);
    expect((await get('/api/v1/manager/ledger.csv?day=yesterday')).status).toBe(400);
  });

  it('serves Prometheus metrics to the manager role only', async () => {
    expect((await get('/metrics', false)).status).toBe(403);
    rig.scanner.inject(rig.codes[0]!.scan);
    const res = await get('/metrics');
    expect(res.headers.get('content-type')).toContain('text/plain');
    const samples = parsePrometheus(await res.text());
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples
        .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        .reduce((sum, s) => sum + s.value, 0);
    expect(value('veriterm_checks_total', { verdict: 'genuine' })).toBeGreaterThanOrEqual(1);
    expect(value('veriterm_ledger_records_total', { type: 'sale' })).toBe(1);
    expect(value('veriterm_outbox_backlog')).toBeGreaterThanOrEqual(1);
    expect(value('veriterm_device_up', { device: 'printer:receipt' })).toBe(1);
    expect(value('veriterm_scans_total', { device: 'kiosk-1' })).toBe(1);
    expect(value('veriterm_print_jobs', { printer: 'receipt', state: 'done' })).toBe(2);
    rig.printer.setState({ paperOut: true });
    await new Promise<void>((resolve) => {
      const check = () => {
        if (rig.terminal.health.get('printer:receipt')?.level === 'fail') {
          rig.terminal.health.off('change', check);
          resolve();
        }
      };
      rig.terminal.health.on('change', check);
      check();
    });
    const after = parsePrometheus(await (await get('/metrics')).text());
    expect(
      after.find((s) => s.name === 'veriterm_device_up' && s.labels.device === 'printer:receipt')?.value,
    ).toBe(0);
    rig.printer.setState({ paperOut: false });
  });

  it('answers /healthz always and /readyz while a registry can serve verdicts', async () => {
    expect((await get('/healthz', false)).status).toBe(200);
    const ready = await get('/readyz', false);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { data: { ready: boolean } }).data.ready).toBe(true);
  });
});
