/**
 * The access matrix, through the real HTTP API: every admin complaint route × every role
 * (handler, dept_head, coordinator, sysadmin) × a case their department leads, co-handles, or has
 * nothing to do with. Expectations are written out from docs/domain.md here, not computed with
 * api/cases/access.ts, so the test cannot agree with a wrong rule.
 *
 * Also: masked versus unmasked personal data, one audit row per unmasked view, allowedActions,
 * and the transitions route's 403 / 404 / 409 / 422 answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import * as t from '../../db/schema.ts';
import { submitComplaint } from '../../api/intake/service.ts';
import { ComplaintInputSchema } from '../../api/intake/schema.ts';
import { makeCreditCode } from '../../api/registry/credit-code.ts';
import { hashPassword } from '../../api/staff/passwords.ts';
import { base32Secret } from '../../api/staff/totp.ts';
import { logInAs, logInWith, seedStaff, type StaffAgent } from '../helpers/admin-session.ts';
import { complaintBody, createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;

const USERS = ['edu.handler', 'edu.head', 'culture.handler', 'culture.head', 'science.handler', 'science.head', 'market.handler', 'market.head', 'coord', 'coord.science', 'sysadmin'] as const;
type User = (typeof USERS)[number];
/** Department and role of each account (coord.science: a coordinator seconded from the science bureau). */
const WHO: Record<User, { dept: string; role: t.StaffRole }> = {
  'edu.handler': { dept: 'edu', role: 'handler' },
  'edu.head': { dept: 'edu', role: 'dept_head' },
  'culture.handler': { dept: 'culture', role: 'handler' },
  'culture.head': { dept: 'culture', role: 'dept_head' },
  'science.handler': { dept: 'science', role: 'handler' },
  'science.head': { dept: 'science', role: 'dept_head' },
  'market.handler': { dept: 'market', role: 'handler' },
  'market.head': { dept: 'market', role: 'dept_head' },
  coord: { dept: 'edu', role: 'coordinator' },
  'coord.science': { dept: 'science', role: 'coordinator' },
  sysadmin: { dept: 'edu', role: 'sysadmin' },
};
const as: Partial<Record<User, StaffAgent>> = {};
const staffIds: Partial<Record<User, number>> = {};

/** Kinds of case, with the departments docs/domain.md's routing makes lead and co-handlers. */
type Kind = 'culture' | 'subject' | 'science' | 'unregistered';
const HANDLING: Record<Kind, { lead: string; co: string[] }> = {
  culture: { lead: 'culture', co: ['edu', 'market'] },
  subject: { lead: 'edu', co: ['market'] },
  science: { lead: 'science', co: ['edu', 'market'] },
  unregistered: { lead: 'edu', co: ['market', 'town_xindian'] },
};
const institutionOf: Partial<Record<Kind, string>> = {};

interface Case {
  code: string;
  id: number;
  kind: Kind;
  name: string;
  mobile: string;
}

let seq = 0;
async function fileCase(kind: Kind, name = '王小明'): Promise<Case> {
  const mobile = `139${String(++seq).padStart(8, '0')}`;
  const place = kind === 'unregistered' ? { institutionId: undefined, institutionName: '阳光托管辅导班', institutionAddress: '某小区底商', town: 'xindian' } : { institutionId: institutionOf[kind] };
  const data = ComplaintInputSchema.parse(complaintBody({ ...place, mobile, parentName: name }));
  const { result } = await submitComplaint(deps, data, { ip: null });
  const [row] = await deps.db.read.select().from(t.complaints).where(eq(t.complaints.trackingCode, result.trackingCode));
  expect(row!.leadDept).toBe(HANDLING[kind].lead);
  return { code: result.trackingCode, id: row!.id, kind, name, mobile };
}

const versionOf = async (c: Case) => (await deps.db.read.select({ v: t.complaints.version }).from(t.complaints).where(eq(t.complaints.id, c.id)))[0]!.v;
const relation = (u: User, k: Kind): 'lead' | 'co' | 'none' => (HANDLING[k].lead === WHO[u].dept ? 'lead' : HANDLING[k].co.includes(WHO[u].dept) ? 'co' : 'none');

/** What docs/domain.md says a GET of the case answers, and whether personal data shows. */
function expectedView(u: User, k: Kind): { status: number; masked?: boolean } {
  if (WHO[u].role === 'sysadmin') return { status: 403 };
  const r = relation(u, k);
  if (WHO[u].role === 'coordinator') return { status: 200, masked: r === 'none' };
  return r === 'none' ? { status: 404 } : { status: 200, masked: false };
}

const piiAudits = async (complaintId: number) =>
  deps.db.read
    .select()
    .from(t.auditLog)
    .where(eq(t.auditLog.objectId, String(complaintId)))
    .then((rows) => rows.filter((r) => r.action === 'complaint.view_personal_data'));

beforeAll(async () => {
  deps = await createSeededDeps(40);
  app = testApp(deps);
  await seedStaff(deps);
  const secret = base32Secret(Buffer.alloc(20, 9));
  const password = 'Coord-science-2026';
  await deps.db.write(async (tx) =>
    tx.insert(t.staff).values({
      username: 'coord.science',
      displayName: '双减办（科技局借调）',
      departmentCode: 'science',
      role: 'coordinator',
      passwordHash: await hashPassword(password),
      totpSecretEnc: deps.pii.encrypt(secret),
      totpEnrolledAt: deps.clock.now(),
    }),
  );
  for (const u of USERS) {
    as[u] = u === 'coord.science' ? await logInWith(app, deps, { username: u, password, totpSecret: secret }) : await logInAs(app, deps, u);
    const [s] = await deps.db.read.select({ id: t.staff.id }).from(t.staff).where(eq(t.staff.username, u));
    staffIds[u] = s!.id;
  }
  const insts = await deps.db.read.select({ id: t.institutions.id, category: t.institutions.category }).from(t.institutions).orderBy(t.institutions.id);
  institutionOf.culture = insts.find((i) => i.category === 'culture_arts')?.id;
  institutionOf.subject = insts.find((i) => i.category === 'subject' || i.category === 'sports')?.id;
  institutionOf.science = insts.find((i) => i.category === 'science_tech')?.id;
  expect(institutionOf).toMatchObject({ culture: expect.any(String), subject: expect.any(String), science: expect.any(String) });
});

afterAll(async () => {
  await deps?.cleanup();
});

describe('GET /api/admin/complaints/:code — each role × own / co-handled / other department', () => {
  const KINDS: Kind[] = ['culture', 'subject', 'science', 'unregistered'];
  const cases: Partial<Record<Kind, Case>> = {};
  beforeAll(async () => {
    for (const k of KINDS) cases[k] = await fileCase(k, k === 'science' ? '欧阳娜娜' : '王小明');
  });

  for (const k of KINDS) {
    for (const u of USERS) {
      const e = expectedView(u, k);
      const label = e.status === 200 ? `200 ${e.masked ? 'masked' : 'unmasked'}` : String(e.status);
      it(`${k} case (${relation(u, k)}) as ${u} → ${label}`, async () => {
        const c = cases[k]!;
        const before = (await piiAudits(c.id)).length;
        const res = await as[u]!.get(`/api/admin/complaints/${c.code}`);
        expect(res.status).toBe(e.status);
        const text = await res.text();
        const body = JSON.parse(text);
        if (e.status === 404) expect(body).toEqual({ error: { code: 'not_found', message: '未找到该投诉，请核对跟踪码和手机号后四位。' } });
        if (e.status === 403) expect(body.error.code).toBe('forbidden');
        if (e.status !== 200) {
          expect(text).not.toContain(c.mobile.slice(-4));
          expect((await piiAudits(c.id)).length).toBe(before);
          return;
        }
        expect(body.code).toBe(c.code);
        expect(body.relation).toBe(relation(u, k));
        const after = await piiAudits(c.id);
        if (e.masked) {
          expect(body.parent).toEqual({ name: `${[...c.name][0]}${'*'.repeat([...c.name].length - 1)}`, mobile: `${c.mobile.slice(0, 3)}****${c.mobile.slice(7)}`, masked: true, purged: false });
          expect(text).not.toContain(c.mobile);
          expect(text).not.toContain(c.name);
          expect(after.length).toBe(before); // nothing personal was shown
        } else {
          expect(body.parent).toEqual({ name: c.name, mobile: c.mobile, masked: false, purged: false });
          // One audit row per unmasked view: who, which case, never the data itself.
          expect(after.length).toBe(before + 1);
          expect(after.at(-1)).toMatchObject({ actorKind: 'staff', actorStaffId: staffIds[u], actorRole: WHO[u].role, objectType: 'complaint', objectId: String(c.id) });
          expect(JSON.stringify(after.at(-1))).not.toContain(c.mobile);
        }
      });
    }
  }

  it('an unknown or malformed code answers exactly like a case out of reach (404), sysadmin 403 either way', async () => {
    const outOfReach = await as['science.handler']!.get(`/api/admin/complaints/${cases.subject!.code}`);
    for (const code of ['TS-0000-0000', 'not-a-code', cases.subject!.code.toLowerCase().replace('ts-', 'TS-')]) {
      const res = await as['science.handler']!.get(`/api/admin/complaints/${code}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual(await outOfReach.clone().json());
    }
    expect((await as.sysadmin!.get('/api/admin/complaints/TS-0000-0000')).status).toBe(403);
  });

  it('the case carries everything the parent sent, the timeline, deadlines, co-handlers and the version', async () => {
    const body = await (await as['culture.handler']!.get(`/api/admin/complaints/${cases.culture!.code}`)).json();
    expect(body).toMatchObject({
      status: 'submitted',
      version: 1,
      institution: { id: institutionOf.culture, registered: true },
      complaint: { course: '少儿美术秋季班', contract: 'model', paidOn: '2026-09-01', amountPaid: 3600, classesTotal: 48, classesUsed: 12, amountRequested: 2700, paidVia: 'custody_account', reason: 'refused', consentProcessing: true, consentPublication: false },
      routing: { rule: 'licensed:culture_arts', lead: { code: 'culture' } },
      deadlines: { acceptBy: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), resolveBy: null, overdue: false },
      attachments: [],
    });
    expect(body.complaint.description).toContain('拒绝退还');
    expect(body.coHandlers.map((c: { code: string }) => c.code).sort()).toEqual(['edu', 'market']);
    expect(body.timeline.map((e: { kind: string }) => e.kind)).toEqual(['submitted']);
    expect(body.deadlines.dueOn).toBe(body.deadlines.acceptBy);
  });
});

describe('allowedActions: only what the workflow and the caller both allow now', () => {
  it('a submitted case', async () => {
    const c = await fileCase('culture');
    const actions = async (u: User) => (await (await as[u]!.get(`/api/admin/complaints/${c.code}`)).json()).allowedActions;
    expect(await actions('culture.handler')).toEqual(['accept', 'reject', 'note', 'add_cohandler']);
    expect(await actions('culture.head')).toEqual(['accept', 'reject', 'note', 'add_cohandler', 'assign']);
    expect(await actions('edu.handler')).toEqual(['note']);
    expect(await actions('market.head')).toEqual(['note']);
    expect(await actions('coord')).toEqual(['accept', 'reject', 'note', 'add_cohandler', 'change_lead']);
    expect(await actions('coord.science')).toEqual(['accept', 'reject', 'note', 'add_cohandler', 'change_lead']);
  });

  it('an accepted case with a pending extension request', async () => {
    const c = await fileCase('culture');
    const h = as['culture.handler']!;
    expect((await h.post(`/api/admin/complaints/${c.code}/transitions`, { action: 'accept', expectedVersion: 1 })).status).toBe(200);
    const before = await (await h.get(`/api/admin/complaints/${c.code}`)).json();
    expect(before.allowedActions).toEqual(['note', 'add_cohandler', 'request_extension', 'resolve']);
    expect((await h.post(`/api/admin/complaints/${c.code}/transitions`, { action: 'request_extension', expectedVersion: 2, note: '需调取合同原件' })).status).toBe(200);
    const actions = async (u: User) => (await (await as[u]!.get(`/api/admin/complaints/${c.code}`)).json()).allowedActions;
    expect(await actions('culture.handler')).toEqual(['note', 'add_cohandler', 'resolve']);
    expect(await actions('culture.head')).toEqual(['note', 'add_cohandler', 'assign', 'decide_extension', 'resolve']);
    expect(await actions('edu.head')).toEqual(['note']); // a co-handling head decides nothing
    expect(await actions('coord')).toEqual(['note', 'add_cohandler', 'resolve', 'change_lead']);
  });
});

describe('POST /api/admin/complaints/:code/transitions — role × relation', () => {
  type Setup = 'submitted' | 'accepted' | 'extension_requested';
  /** [action, body, setup, who may (200), who may see but not act (403)]; everyone else: 404 / sysadmin 403. */
  const ROWS: [string, Record<string, unknown>, Setup, User[]][] = [
    ['accept', { note: '已受理' }, 'submitted', ['culture.handler', 'culture.head', 'coord', 'coord.science']],
    ['reject', { reason: 'out_of_scope', note: '不属于退费纠纷，请向12315反映' }, 'submitted', ['culture.handler', 'culture.head', 'coord', 'coord.science']],
    ['note', { staffNote: '已电话联系机构' }, 'submitted', ['culture.handler', 'culture.head', 'edu.handler', 'edu.head', 'market.handler', 'market.head', 'coord', 'coord.science']],
    ['add_cohandler', { department: 'fire' }, 'submitted', ['culture.handler', 'culture.head', 'coord', 'coord.science']],
    ['assign', { staffId: 'culture.handler' }, 'submitted', ['culture.head']],
    ['change_lead', { department: 'science', reason: '机构实际开展科技类培训' }, 'submitted', ['coord', 'coord.science']],
    ['request_extension', { note: '需调取合同原件' }, 'accepted', ['culture.handler', 'culture.head']],
    ['resolve', { outcome: 'partial_refund', amountRefunded: '1200.50', note: '机构同意部分退费' }, 'accepted', ['culture.handler', 'culture.head', 'coord', 'coord.science']],
    ['decide_extension', { approve: true, note: '同意' }, 'extension_requested', ['culture.head']],
  ];

  async function prepared(setup: Setup): Promise<Case> {
    const c = await fileCase('culture');
    if (setup !== 'submitted') {
      const h = as['culture.handler']!;
      expect((await h.post(`/api/admin/complaints/${c.code}/transitions`, { action: 'accept', expectedVersion: await versionOf(c) })).status).toBe(200);
      if (setup === 'extension_requested') {
        expect((await h.post(`/api/admin/complaints/${c.code}/transitions`, { action: 'request_extension', expectedVersion: await versionOf(c), note: '需要更多时间调解' })).status).toBe(200);
      }
    }
    return c;
  }

  for (const [action, fields, setup, allowed] of ROWS) {
    for (const u of USERS) {
      const visible = expectedView(u, 'culture').status === 200;
      const expected = WHO[u].role === 'sysadmin' ? 403 : !visible ? 404 : allowed.includes(u) ? 200 : 403;
      it(`${action} on a culture-led ${setup} case as ${u} → ${expected}`, async () => {
        const c = await prepared(setup);
        const version = await versionOf(c);
        const body: Record<string, unknown> = { action, expectedVersion: version, ...fields };
        if (action === 'assign') body.staffId = staffIds['culture.handler'];
        const eventsBefore = await deps.db.read.select().from(t.complaintEvents).where(eq(t.complaintEvents.complaintId, c.id));
        const res = await as[u]!.post(`/api/admin/complaints/${c.code}/transitions`, body);
        expect(res.status, await res.clone().text()).toBe(expected);
        const eventsAfter = await deps.db.read.select().from(t.complaintEvents).where(eq(t.complaintEvents.complaintId, c.id));
        if (expected === 200) {
          expect(await res.json()).toMatchObject({ code: c.code, action, version: version + 1 });
          expect(eventsAfter.length).toBe(eventsBefore.length + 1);
          expect(eventsAfter.at(-1)).toMatchObject({ kind: action, actorStaffId: staffIds[u], actorDept: WHO[u].dept });
        } else {
          expect((await res.json()).error.code).toBe(expected === 404 ? 'not_found' : WHO[u].role === 'sysadmin' ? 'forbidden' : 'action_forbidden');
          expect(eventsAfter.length).toBe(eventsBefore.length);
          expect(await versionOf(c)).toBe(version);
        }
      });
    }
  }
});

describe('transitions: 409, 422 and what change of lead does', () => {
  it('the workflow refuses what the state does not allow (409), a stale version (409 stale)', async () => {
    const c = await fileCase('subject');
    const h = as['edu.handler']!;
    const early = await h.post(`/api/admin/complaints/${c.code}/transitions`, { action: 'resolve', expectedVersion: 1, outcome: 'full_refund', amountRefunded: 100, note: '已全额退费' });
    expect(early.status).toBe(409);
    expect((await early.json()).error.code).toBe('invalid_transition');
    expect((await h.post(`/api/admin/complaints/${c.code}/transitions`, { action: 'accept', expectedVersion: 1 })).status).toBe(200);
    const stale = await h.post(`/api/admin/complaints/${c.code}/transitions`, { action: 'note', expectedVersion: 1, staffNote: '旧页面' });
    expect(stale.status).toBe(409);
    expect((await stale.json()).error.code).toBe('stale');
    const twice = await h.post(`/api/admin/complaints/${c.code}/transitions`, { action: 'accept', expectedVersion: 2 });
    expect(twice.status).toBe(409);
  });

  it('field errors are 422 with paths, in zh-CN and en', async () => {
    const c = await fileCase('subject');
    const h = as['edu.head']!;
    const noNote = await h.post(`/api/admin/complaints/${c.code}/transitions`, { action: 'reject', expectedVersion: 1, reason: 'duplicate' });
    expect(noNote.status).toBe(422);
    expect((await noNote.json()).error.issues).toEqual([{ path: 'note', message: '请写明理由（至少5个字）' }]);
    const noVersion = await h.post(`/api/admin/complaints/${c.code}/transitions`, { action: 'accept' }, { 'accept-language': 'en' });
    expect((await noVersion.json()).error.issues).toEqual([{ path: 'expectedVersion', message: 'Missing case version; reload the page and try again' }]);
    const unknown = await h.post(`/api/admin/complaints/${c.code}/transitions`, { action: 'explode', expectedVersion: 1 });
    expect(unknown.status).toBe(422);
    expect((await unknown.json()).error.issues[0].path).toBe('action');
    const otherDept = await h.post(`/api/admin/complaints/${c.code}/transitions`, { action: 'assign', expectedVersion: 1, staffId: staffIds['culture.handler'] });
    expect(otherDept.status).toBe(422);
    expect((await otherDept.json()).error.issues).toEqual([{ path: 'staffId', message: '请选择牵头部门中在岗的工作人员' }]);
    const sameLead = await as.coord!.post(`/api/admin/complaints/${c.code}/transitions`, { action: 'change_lead', expectedVersion: 1, department: 'edu', reason: '保持不变的测试' });
    expect((await sameLead.json()).error.issues).toEqual([{ path: 'department', message: '该部门已经是牵头部门' }]);
    const noStaff = await as.coord!.post(`/api/admin/complaints/${c.code}/transitions`, { action: 'change_lead', expectedVersion: 1, department: 'fire', reason: '消防隐患为主' });
    expect((await noStaff.json()).error.issues).toEqual([{ path: 'department', message: '该部门还没有在岗的工作人员，不能牵头办理' }]);
    const bad = await h.post(`/api/admin/complaints/${c.code}/transitions`, { action: 'resolve', expectedVersion: 1, outcome: 'full_refund', amountRefunded: '12.345', note: '退费完成了' });
    expect((await bad.json()).error.issues).toEqual([{ path: 'amountRefunded', message: '请输入金额（元），最多两位小数' }]);
    expect(await versionOf(c)).toBe(1);
  });

  it('an outsider gets 404 before any validation (no probing with malformed bodies)', async () => {
    const c = await fileCase('subject');
    const res = await as['culture.handler']!.post(`/api/admin/complaints/${c.code}/transitions`, { nonsense: true });
    expect(res.status).toBe(404);
  });

  it('change of lead: reason on the timeline, deadlines unchanged, old lead now co-handles, queues follow', async () => {
    const c = await fileCase('subject');
    const h = as['edu.handler']!;
    expect((await h.post(`/api/admin/complaints/${c.code}/transitions`, { action: 'accept', expectedVersion: 1 })).status).toBe(200);
    const before = await (await h.get(`/api/admin/complaints/${c.code}`)).json();
    expect((await as['culture.handler']!.get(`/api/admin/complaints/${c.code}`)).status).toBe(404);

    const res = await as.coord!.post(`/api/admin/complaints/${c.code}/transitions`, { action: 'change_lead', expectedVersion: 2, department: 'culture', reason: '机构主营美术培训，应由文旅局牵头' });
    expect(res.status).toBe(200);

    const after = await (await as['culture.handler']!.get(`/api/admin/complaints/${c.code}`)).json();
    expect(after.relation).toBe('lead');
    expect(after.routing.lead.code).toBe('culture');
    expect(after.deadlines).toMatchObject({ acceptBy: before.deadlines.acceptBy, resolveBy: before.deadlines.resolveBy, dueOn: before.deadlines.dueOn });
    expect(after.coHandlers.map((x: { code: string }) => x.code).sort()).toEqual(['edu', 'market']);
    expect(after.timeline.at(-1)).toMatchObject({ kind: 'change_lead', staffNote: '机构主营美术培训，应由文旅局牵头', data: { from: 'edu', to: 'culture' } });
    // edu keeps the case as co-handler: notes only now.
    const edu = await (await h.get(`/api/admin/complaints/${c.code}`)).json();
    expect(edu.relation).toBe('co');
    expect(edu.allowedActions).toEqual(['note']);
    // A dept_head cannot do it, even of the lead department.
    const byHead = await as['culture.head']!.post(`/api/admin/complaints/${c.code}/transitions`, { action: 'change_lead', expectedVersion: 3, department: 'edu', reason: '再转回教体局' });
    expect(byHead.status).toBe(403);
  });
});

describe('GET /api/admin/complaints — the queue, by role', () => {
  let all: Case[] = [];
  beforeAll(async () => {
    all = [await fileCase('culture'), await fileCase('subject'), await fileCase('science'), await fileCase('unregistered')];
  });

  const codesOf = async (u: User, query = '') => {
    const codes: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await as[u]!.get(`/api/admin/complaints?limit=100${query}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const body = await res.json();
      codes.push(...body.items.map((i: { code: string }) => i.code));
      cursor = body.nextCursor;
    } while (cursor);
    return codes;
  };

  for (const u of USERS) {
    it(`as ${u}`, async () => {
      if (WHO[u].role === 'sysadmin') {
        const res = await as[u]!.get('/api/admin/complaints');
        expect(res.status).toBe(403);
        expect((await res.json()).error.code).toBe('forbidden');
        return;
      }
      const codes = await codesOf(u);
      for (const c of all) {
        const sees = WHO[u].role === 'coordinator' || relation(u, c.kind) !== 'none';
        expect(codes.includes(c.code), `${u} and a ${c.kind} case`).toBe(sees);
      }
      // Every listed case is one the caller may open (no leaks through the list).
      const rows = await deps.db.read.select({ code: t.complaints.trackingCode, lead: t.complaints.leadDept, id: t.complaints.id }).from(t.complaints);
      const co = await deps.db.read.select().from(t.complaintCoHandlers);
      for (const code of codes) {
        const r = rows.find((x) => x.code === code)!;
        const handling = [r.lead, ...co.filter((x) => x.complaintId === r.id).map((x) => x.departmentCode)];
        expect(WHO[u].role === 'coordinator' || handling.includes(WHO[u].dept)).toBe(true);
      }
      expect(new Set(codes).size).toBe(codes.length);
    });
  }

  it('the list never carries personal data', async () => {
    const text = await (await as['edu.handler']!.get('/api/admin/complaints?limit=100')).text();
    for (const c of all) expect(text).not.toContain(c.mobile);
    expect(text).not.toContain('王小明');
  });

  it("only the coordination office may look at another department's queue", async () => {
    const res = await as['edu.head']!.get('/api/admin/complaints?department=culture');
    expect(res.status).toBe(403);
    const codes = await codesOf('coord', '&department=culture');
    expect(codes).toContain(all[0]!.code);
    expect(codes).not.toContain(all[1]!.code);
  });
});

describe('GET /api/admin/complaints/:code/attachments/:id — evidence files, handling departments only', () => {
  let c: Case;
  let other: Case;
  let fileId: number;
  let otherFileId: number;
  const PDF = Buffer.from('%PDF-1.4\n% test evidence\n%%EOF\n');
  beforeAll(async () => {
    c = await fileCase('culture');
    other = await fileCase('subject');
    // Uploads belong to the intake; here the rows are written directly (the download is under test).
    const rows = await deps.db.write((tx) =>
      tx
        .insert(t.attachments)
        .values([
          { complaintId: c.id, mime: 'application/pdf', originalName: '培训合同 "王"\n.pdf', size: PDF.length, sha256: 'x'.repeat(64), content: PDF },
          { complaintId: other.id, mime: 'application/pdf', originalName: 'receipt.pdf', size: PDF.length, sha256: 'y'.repeat(64), content: PDF },
        ])
        .returning({ id: t.attachments.id }),
    );
    fileId = rows[0]!.id;
    otherFileId = rows[1]!.id;
  });

  const downloads = async () =>
    (await deps.db.read.select().from(t.auditLog).where(eq(t.auditLog.objectId, String(c.id)))).filter((r) => r.action === 'complaint.attachment_download').length;

  for (const u of USERS) {
    const e = expectedView(u, 'culture');
    const expected = e.status !== 200 ? e.status : e.masked ? 403 : 200;
    it(`as ${u} → ${expected}`, async () => {
      const before = await downloads();
      const res = await as[u]!.get(`/api/admin/complaints/${c.code}/attachments/${fileId}`);
      expect(res.status).toBe(expected);
      if (expected === 200) {
        expect(Buffer.from(await res.arrayBuffer())).toEqual(PDF);
        expect(res.headers.get('content-type')).toBe('application/pdf');
        // A generated name only: the parent's file name (quotes, a newline, a child's name) never
        // becomes a file name on a staff computer.
        expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${c.code}-1.pdf"`);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('content-security-policy')).toContain('sandbox');
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(await downloads()).toBe(before + 1);
      } else {
        expect((await res.json()).error.code).toBe(expected === 404 ? 'not_found' : u === 'sysadmin' ? 'forbidden' : 'attachment_forbidden');
        expect(await downloads()).toBe(before);
      }
    });
  }

  it('another case’s file, an unknown id or a malformed one: 404', async () => {
    const h = as['culture.handler']!;
    expect((await h.get(`/api/admin/complaints/${c.code}/attachments/${otherFileId}`)).status).toBe(404);
    expect((await h.get(`/api/admin/complaints/${c.code}/attachments/999999`)).status).toBe(404);
    expect((await h.get(`/api/admin/complaints/${c.code}/attachments/1x`)).status).toBe(404);
  });

  it('the case view lists the file without its content', async () => {
    const body = await (await as['culture.handler']!.get(`/api/admin/complaints/${c.code}`)).json();
    expect(body.attachments).toEqual([
      { id: fileId, mime: 'application/pdf', originalName: '培训合同 "王"\n.pdf', downloadName: `${c.code}-1.pdf`, size: PDF.length, sha256: 'x'.repeat(64), createdAt: expect.any(String) },
    ]);
  });
});

describe('publishing, backup, templates and department staff — each role × own / other department', () => {
  const SCRIPT = new URL('../fixtures/fake-site-build.mjs', import.meta.url).pathname;
  const mayPublish = (u: User) => WHO[u].role === 'coordinator' || WHO[u].role === 'sysadmin';
  const isHead = (u: User) => WHO[u].role === 'dept_head';
  let cultureTemplate: number;
  let cultureExtra: number;

  beforeAll(async () => {
    deps.siteBuild = { argv: (dir) => [SCRIPT, dir, 'ok'] };
    const [tpl] = await deps.db.write((tx) =>
      tx.insert(t.responseTemplates).values({ departmentCode: 'culture', forStatus: 'submitted', title: '受理告知', body: '您的投诉已受理。', updatedAt: deps.clock.now() }).returning({ id: t.responseTemplates.id }),
    );
    cultureTemplate = tpl!.id;
    const [extra] = await deps.db.write(async (tx) =>
      tx.insert(t.staff).values({ username: 'culture.extra', displayName: '文旅局 新承办人', departmentCode: 'culture', role: 'handler', passwordHash: await hashPassword('Culture-extra-2026') }).returning({ id: t.staff.id }),
    );
    cultureExtra = extra!.id;
  });
  afterAll(async () => {
    // Let a build started here finish before the database goes away.
    for (let i = 0; i < 100; i++) {
      const running = await deps.db.read.select().from(t.siteBuilds).where(eq(t.siteBuilds.status, 'running'));
      if (running.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    delete deps.siteBuild;
  });

  for (const u of USERS) {
    it(`GET/POST /publish, GET /publish/:id as ${u} → ${mayPublish(u) ? '200/202, 404 unknown' : '403'}`, async () => {
      const list = await as[u]!.get('/api/admin/publish');
      expect(list.status).toBe(mayPublish(u) ? 200 : 403);
      const start = await as[u]!.post('/api/admin/publish');
      if (mayPublish(u)) expect([200, 202]).toContain(start.status);
      else expect(start.status).toBe(403);
      expect((await as[u]!.get('/api/admin/publish/999999')).status).toBe(mayPublish(u) ? 404 : 403);
    });

    it(`POST /backup as ${u} → ${WHO[u].role === 'sysadmin' ? 200 : 403}`, async () => {
      const res = await as[u]!.post('/api/admin/backup');
      expect(res.status).toBe(WHO[u].role === 'sysadmin' ? 200 : 403);
      await res.arrayBuffer();
    });

    it(`templates as ${u}: list ${WHO[u].role === 'sysadmin' ? 403 : 200}; create ${isHead(u) ? 201 : 403}; culture's template ${u === 'culture.head' ? 200 : isHead(u) ? 404 : 403}`, async () => {
      const list = await as[u]!.get('/api/admin/templates');
      expect(list.status).toBe(WHO[u].role === 'sysadmin' ? 403 : 200);
      if (list.status === 200) {
        const body = await list.json();
        expect(body.department).toBe(WHO[u].dept);
        expect(body.templates.some((x: { id: number }) => x.id === cultureTemplate)).toBe(WHO[u].dept === 'culture');
      }
      const created = await as[u]!.post('/api/admin/templates', { forStatus: 'accepted', title: `${u} 的模板`, body: '已联系机构了解情况。' });
      expect(created.status).toBe(isHead(u) ? 201 : 403);
      const edit = await app.request(`/api/admin/templates/${cultureTemplate}`, {
        method: 'PUT',
        headers: { cookie: as[u]!.cookie, 'x-csrf-token': as[u]!.csrf, 'content-type': 'application/json' },
        body: JSON.stringify({ forStatus: 'submitted', title: '受理告知', body: `您的投诉已受理（${u}）。` }),
      });
      expect(edit.status).toBe(u === 'culture.head' ? 200 : isHead(u) ? 404 : 403);
    });

    it(`team as ${u}: list ${isHead(u) ? 200 : 403}; a culture handler's TOTP reset ${u === 'culture.head' ? 200 : isHead(u) ? 404 : 403}`, async () => {
      const list = await as[u]!.get('/api/admin/team');
      expect(list.status).toBe(isHead(u) ? 200 : 403);
      if (list.status === 200) expect((await list.json()).staff.every((s: { departmentCode: string }) => s.departmentCode === WHO[u].dept)).toBe(true);
      const reset = await as[u]!.post(`/api/admin/team/${cultureExtra}/reset-totp`);
      expect(reset.status).toBe(u === 'culture.head' ? 200 : isHead(u) ? 404 : 403);
      const create = await as[u]!.post('/api/admin/team', { username: `${u.replace(/\W/g, '')}.new`, displayName: '新同事' });
      expect(create.status).toBe(isHead(u) ? 201 : 403);
      if (create.status === 201) {
        const [row] = await deps.db.read.select().from(t.staff).where(eq(t.staff.username, `${u.replace(/\W/g, '')}.new`));
        expect(row).toMatchObject({ departmentCode: WHO[u].dept, role: 'handler' });
      }
    });
  }

  it('a department head cannot touch their own account, another head, or a coordinator (404)', async () => {
    for (const target of ['culture.head', 'edu.head', 'coord', 'sysadmin'] as const) {
      expect((await as['culture.head']!.post(`/api/admin/team/${staffIds[target]}/deactivate`)).status).toBe(404);
    }
  });
});

describe('registry routes — each role × the institution’s supervising department (own / other)', () => {
  // Written out from docs/domain.md (see api/registry/access.ts for the reasoning): the education
  // bureau licenses, its head decides status changes, co-supervisors import results only for
  // institutions they supervise, market reads, the sysadmin has no registry at all.
  const READ = (u: User) => WHO[u].role !== 'sysadmin';
  const EDIT = (u: User) => WHO[u].role === 'coordinator' || (WHO[u].dept === 'edu' && (WHO[u].role === 'handler' || WHO[u].role === 'dept_head'));
  const STATUS = (u: User) => WHO[u].role === 'coordinator' || (WHO[u].dept === 'edu' && WHO[u].role === 'dept_head');
  const INSPECT = (u: User): 'all' | 'supervised' | null => (EDIT(u) ? 'all' : ['culture', 'science'].includes(WHO[u].dept) && WHO[u].role !== 'sysadmin' ? 'supervised' : null);

  let n = 0;
  const institutionBody = () => {
    n++;
    return {
      name: `矩阵测试艺术学校${n}`,
      creditCode: makeCreditCode('52', '370305', String(70_000_000 + n)),
      licenseNo: `教民3703053${String(60_000_000 + n)}号`,
      legalForm: 'non_enterprise',
      category: 'culture_arts',
      town: 'jixia',
      zone: '2',
      address: '淄博市临淄区稷下街道某路1号',
      licenseIssuedOn: '2023-05-01',
      licenseValidUntil: '2028-04-30',
      fireSafetyPassed: 'yes',
      fireSafetyDate: '2023-04-20',
      usesModelContract: 'yes',
      trainingItems: '素描',
      staffCount: '5',
      teacherCount: '3',
    };
  };
  const upload = (u: User, path: string, text: string) => {
    const form = new FormData();
    form.set('file', new File([text], 'x.csv'));
    return app.request(path, { method: 'POST', headers: { cookie: as[u]!.cookie, 'x-csrf-token': as[u]!.csrf }, body: form });
  };
  let target = '';
  beforeAll(async () => {
    target = institutionOf.culture!;
  });

  for (const u of USERS) {
    it(`${u}: read ${READ(u) ? 200 : 403}, create/edit ${EDIT(u) ? 'yes' : 403}, status ${STATUS(u) ? 'yes' : 403}`, async () => {
      const a = as[u]!;
      expect((await a.get('/api/admin/registry/institutions')).status).toBe(READ(u) ? 200 : 403);
      expect((await a.get(`/api/admin/registry/institutions/${target}`)).status).toBe(READ(u) ? 200 : 403);
      expect((await a.get('/api/admin/registry/institutions/no-such-id')).status).toBe(READ(u) ? 404 : 403);
      expect((await a.get('/api/admin/registry/templates/institutions.csv')).status).toBe(READ(u) ? 200 : 403);

      const created = await a.post('/api/admin/registry/institutions', institutionBody());
      expect(created.status).toBe(EDIT(u) ? 201 : 403);
      const edit = await app.request(`/api/admin/registry/institutions/${target}`, { method: 'PUT', headers: { cookie: a.cookie, 'x-csrf-token': a.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ ...institutionBody(), creditCode: undefined }) });
      expect(edit.status).toBe(EDIT(u) ? 422 : 403); // allowed roles reach validation (credit code missing)

      const [cur] = await deps.db.read.select({ s: t.institutions.licenseStatus }).from(t.institutions).where(eq(t.institutions.id, target));
      const next = cur!.s === 'suspended' ? 'valid' : 'suspended';
      const status = await a.post(`/api/admin/registry/institutions/${target}/status`, { status: next, effectiveOn: '2026-11-26', reasonZh: '矩阵测试：状态变更' });
      expect(status.status).toBe(STATUS(u) ? 200 : 403);

      const dry = await upload(u, '/api/admin/registry/imports/institutions', '机构名称\n某学校\n');
      expect(dry.status).toBe(EDIT(u) ? 200 : 403);
    });
  }

  for (const u of USERS) {
    const scope = INSPECT(u);
    it(`${u}: inspection results for a culture-supervised institution (${scope === 'supervised' && WHO[u].dept !== 'culture' ? 'other' : 'own'} department) → ${scope === null ? 403 : scope === 'supervised' && WHO[u].dept !== 'culture' ? 'row refused' : 'row accepted'}`, async () => {
      const [inst] = await deps.db.read.select({ code: t.institutions.creditCode }).from(t.institutions).where(eq(t.institutions.id, target));
      const res = await upload(u, '/api/admin/registry/imports/inspections', `年度,统一社会信用代码,检查结果,公布日期\n2025,${inst!.code},合格,2026-01-15\n`);
      if (scope === null) return expect(res.status).toBe(403);
      expect(res.status).toBe(200);
      const report = (await res.json()) as { rows: { action: string; issues: { message: string }[] }[] };
      const refused = scope === 'supervised' && WHO[u].dept !== 'culture';
      expect(report.rows[0]!.action).toMatch(refused ? /^error$/ : /^(create|replace|unchanged)$/);
      if (refused) expect(report.rows[0]!.issues[0]!.message).toBe('该机构不归您的部门主管，不能导入其检查结果');
    });
  }
});
