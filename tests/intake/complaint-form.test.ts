/**
 * The no-JavaScript complaint form's server side (api/intake/page.ts), called as the
 * on-demand page calls it: a plain multipart POST files a complaint; errors come back next to the
 * fields with what the parent typed; an oversized body is refused before it is read whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { handleComplaintForm } from '../../api/intake/page.ts';
import { createSeededDeps, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;
const url = new URL('http://localhost/complaints/new/');

function formPost(fields: Record<string, string>, files: { name: string; bytes: Uint8Array<ArrayBuffer>; type?: string }[] = []): Request {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const f of files) form.append('evidence', new Blob([f.bytes], { type: f.type ?? 'application/octet-stream' }), f.name);
  return new Request(url, { method: 'POST', body: form });
}

const valid = {
  formKey: '8b7c6a3e-1f2d-4e5f-9a8b-7c6d5e4f3a2b',
  action: 'submit',
  institutionId: 'demo-0003',
  course: '钢琴一对一',
  contract: 'model',
  paidOn: '2026-10-01',
  amountPaid: '4800',
  classesTotal: '40',
  classesUsed: '8',
  amountRequested: '3840',
  paidVia: 'custody_account',
  reason: 'refused',
  description: '机构拒绝按剩余课时退费，已多次沟通。',
  parentName: '周家长',
  mobile: '13600009999',
  consentProcessing: 'true',
};

const count = async () => Number((await deps.db.readClient.execute('SELECT count(*) AS n FROM complaints')).rows[0]!.n);

beforeAll(async () => {
  deps = await createSeededDeps(10, { env: { INTAKE_POW: 'on' } });
});
afterAll(() => deps.cleanup());

describe('complaint form without JavaScript', () => {
  it('files a complaint from a plain multipart POST (no proof-of-work possible) and confirms it', async () => {
    const state = await handleComplaintForm(deps, formPost(valid), url, '203.0.113.7', 'zh-CN');
    expect(state.errors).toEqual([]);
    expect(state.result?.trackingCode).toMatch(/^TS-/);
    expect(state.result?.acceptBy).toBe('2026-12-01');
    expect(await count()).toBe(1);
  });

  it('files nothing twice when the same form is submitted again (refresh, double tap)', async () => {
    // The same form (same formKey) as the first test; whichever of the two posts comes first files it.
    const first = await handleComplaintForm(deps, formPost(valid), url, '203.0.113.7', 'zh-CN');
    const again = await handleComplaintForm(deps, formPost(valid), url, '203.0.113.7', 'zh-CN');
    expect(first.result?.trackingCode).toMatch(/^TS-/);
    // The parent is shown the code of the complaint filed the first time, not a new one.
    expect(again.result?.trackingCode).toBe(first.result!.trackingCode);
    const stored = (await deps.db.readClient.execute('SELECT tracking_code FROM complaints')).rows.map((r) => r.tracking_code);
    expect(stored).toEqual([first.result!.trackingCode]);
    expect(await count()).toBe(1);
  });

  it('brings the form back with field messages and everything typed when consent is missing', async () => {
    const { consentProcessing: _c, ...rest } = valid;
    const state = await handleComplaintForm(deps, formPost({ ...rest, formKey: '0b7c6a3e-1f2d-4e5f-9a8b-7c6d5e4f3a2b' }), url, null, 'en');
    expect(state.result).toBeNull();
    expect(state.errors.map((e) => e.path)).toContain('consentProcessing');
    expect(state.values.description).toBe(valid.description);
    expect(await count()).toBe(1);
  });

  it('refuses a body over the upload limit without filing anything', async () => {
    const big = new Uint8Array(53 * 1024 * 1024);
    const state = await handleComplaintForm(deps, formPost({ ...valid, formKey: '1b7c6a3e-1f2d-4e5f-9a8b-7c6d5e4f3a2b' }, [{ name: 'a.pdf', bytes: big }]), url, null, 'zh-CN');
    expect(state.result).toBeNull();
    expect(state.errors[0]?.path).toBe('evidence');
    expect(await count()).toBe(1);
  });

  it('finds institutions for the picker by a name fragment', async () => {
    const [row] = (await deps.db.read.all<{ name: string }>(sql`SELECT name FROM institutions WHERE id = 'demo-0001'`)) as { name: string }[];
    const state = await handleComplaintForm(deps, formPost({ action: 'find', find: row!.name.slice(0, 2) }), url, null, 'zh-CN');
    expect(state.picker?.items.map((i) => i.id)).toContain('demo-0001');
  });
});
