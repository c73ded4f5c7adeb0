/**
 * Response templates (常用回复): canned texts for the notes of a case in a given state, kept by a
 * department's head for their own department and offered to its staff on the case page.
 *
 *   GET    /templates            the caller's department's templates (every role with cases)
 *   POST   /templates            dept_head: create for their own department
 *   PUT    /templates/:id        dept_head: edit one of their own department's
 *   DELETE /templates/:id        dept_head: remove one of their own department's
 * Another department's template answers exactly like an unknown id (404); the sysadmin sees no
 * complaint work at all (403). Every change is one transaction with its audit row.
 */
import { and, asc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import type { Db, Tx } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import { appendAudit } from '../audit/log.ts';
import { ApiError, parseWith, validationError } from '../lib/errors.ts';
import { mayUseComplaints, type Caller } from './access.ts';
import { readBody, sessionOf, type AdminContext, type AdminEnv } from '../staff/admin-api-http.ts';
import { choice, text } from './schema.ts';

/** States in which a case has a text to write (accept/reject, notes, extension, resolve, close). */
export const TEMPLATE_STATUSES = ['submitted', 'accepted', 'in_progress', 'resolved'] as const;
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];
export const TEMPLATE_TITLE_MAX = 40;
/** The smallest note field on the case page takes 500 characters; a template must fit in it. */
export const TEMPLATE_BODY_MAX = 500;
/** A department's list stays a list, not an archive. */
export const TEMPLATES_PER_DEPARTMENT = 60;

export const TemplateInputSchema = z
  .object({
    forStatus: choice(TEMPLATE_STATUSES),
    title: text(1, TEMPLATE_TITLE_MAX),
    body: text(5, TEMPLATE_BODY_MAX),
  })
  .strict();
export type TemplateInput = z.output<typeof TemplateInputSchema>;

export interface TemplateActor extends Caller {
  ip: string | null;
}

export interface TemplateView {
  id: number;
  forStatus: t.ComplaintStatus;
  title: string;
  body: string;
  updatedAt: string;
  isDemo: boolean;
}

export const mayKeepTemplates = (role: t.StaffRole) => role === 'dept_head';

/** A department's templates, by state then title. */
export async function listTemplates(db: Db, dept: string, status?: t.ComplaintStatus): Promise<TemplateView[]> {
  const rows = await db.read
    .select()
    .from(t.responseTemplates)
    .where(status ? and(eq(t.responseTemplates.departmentCode, dept), eq(t.responseTemplates.forStatus, status)) : eq(t.responseTemplates.departmentCode, dept))
    .orderBy(asc(t.responseTemplates.forStatus), asc(t.responseTemplates.title), asc(t.responseTemplates.id));
  return rows.map((r) => ({ id: r.id, forStatus: r.forStatus, title: r.title, body: r.body, updatedAt: r.updatedAt.toISOString(), isDemo: r.isDemo }));
}

const audit = (actor: TemplateActor, at: Date, action: string, id: number, detail: Record<string, unknown>) => ({
  at,
  actorKind: 'staff' as const,
  actorStaffId: actor.staffId,
  actorRole: actor.role,
  action,
  objectType: 'response_template',
  objectId: String(id),
  ip: actor.ip,
  detail,
});

function headOnly(actor: TemplateActor) {
  if (!mayKeepTemplates(actor.role)) throw new ApiError(403, 'forbidden', 'forbidden');
}

export async function createTemplate(db: Db, input: TemplateInput, actor: TemplateActor, now: Date): Promise<TemplateView> {
  headOnly(actor);
  return db.write(async (tx) => {
    const existing = await tx.select({ id: t.responseTemplates.id }).from(t.responseTemplates).where(eq(t.responseTemplates.departmentCode, actor.dept));
    if (existing.length >= TEMPLATES_PER_DEPARTMENT) throw new ApiError(409, 'too_many_templates', 'too_many_templates');
    const [row] = await tx
      .insert(t.responseTemplates)
      .values({ departmentCode: actor.dept, forStatus: input.forStatus, title: input.title, body: input.body, updatedAt: now, updatedBy: actor.staffId })
      .returning();
    // Ids and the state only: a template is staff text, but the log stays free of free text.
    await appendAudit(tx, audit(actor, now, 'template.created', row!.id, { departmentCode: actor.dept, forStatus: input.forStatus }));
    return { id: row!.id, forStatus: row!.forStatus, title: row!.title, body: row!.body, updatedAt: row!.updatedAt.toISOString(), isDemo: row!.isDemo };
  });
}

/** The template, if it belongs to the actor's department; otherwise 404 (no probing of ids). */
const ownTemplate = async (tx: Tx, id: number, dept: string) => {
  const [row] = await tx
    .select({ id: t.responseTemplates.id })
    .from(t.responseTemplates)
    .where(and(eq(t.responseTemplates.id, id), eq(t.responseTemplates.departmentCode, dept)));
  if (!row) throw new ApiError(404, 'not_found', 'not_found');
};

export async function updateTemplate(db: Db, id: number, input: TemplateInput, actor: TemplateActor, now: Date): Promise<TemplateView> {
  headOnly(actor);
  return db.write(async (tx) => {
    await ownTemplate(tx, id, actor.dept);
    const [row] = await tx
      .update(t.responseTemplates)
      .set({ forStatus: input.forStatus, title: input.title, body: input.body, updatedAt: now, updatedBy: actor.staffId, isDemo: false })
      .where(eq(t.responseTemplates.id, id))
      .returning();
    await appendAudit(tx, audit(actor, now, 'template.updated', id, { forStatus: input.forStatus }));
    return { id, forStatus: row!.forStatus, title: row!.title, body: row!.body, updatedAt: row!.updatedAt.toISOString(), isDemo: row!.isDemo };
  });
}

export async function deleteTemplate(db: Db, id: number, actor: TemplateActor, now: Date): Promise<void> {
  headOnly(actor);
  await db.write(async (tx) => {
    await ownTemplate(tx, id, actor.dept);
    await tx.delete(t.responseTemplates).where(eq(t.responseTemplates.id, id));
    await appendAudit(tx, audit(actor, now, 'template.deleted', id, {}));
  });
}

export const templateId = (raw: string | undefined) => {
  if (!raw || !/^\d{1,9}$/.test(raw)) throw new ApiError(404, 'not_found', 'not_found');
  return Number(raw);
};

function actorOf(c: AdminContext): TemplateActor {
  const s = sessionOf(c).staff;
  if (!mayUseComplaints(s.role)) throw new ApiError(403, 'forbidden', 'forbidden');
  return { staffId: s.id, role: s.role, dept: s.departmentCode, ip: c.var.clientIp };
}

export function templatesRoutes() {
  const r = new Hono<AdminEnv>();
  r.get('/', async (c) => {
    const actor = actorOf(c);
    const status = c.req.query('status');
    const parsed = status === undefined ? null : z.enum(t.COMPLAINT_STATUSES).safeParse(status);
    if (parsed && !parsed.success) return c.json(validationError([{ path: 'status', message: c.var.lang === 'en' ? 'Choose one of the options' : '请从选项中选择' }], c.var.lang), 422);
    return c.json({ department: actor.dept, mayEdit: mayKeepTemplates(actor.role), templates: await listTemplates(c.var.deps.db, actor.dept, parsed?.data) });
  });
  r.post('/', async (c) => {
    const actor = actorOf(c);
    headOnly(actor);
    const { lang, deps } = c.var;
    const parsed = parseWith(TemplateInputSchema, await readBody(c), lang);
    if (!parsed.ok) return c.json(validationError(parsed.issues, lang), 422);
    return c.json(await createTemplate(deps.db, parsed.data, actor, deps.clock.now()), 201);
  });
  r.put('/:id', async (c) => {
    const actor = actorOf(c);
    headOnly(actor);
    const { lang, deps } = c.var;
    const id = templateId(c.req.param('id'));
    const body = await readBody(c);
    const parsed = parseWith(TemplateInputSchema, body, lang);
    if (!parsed.ok) {
      // Out of reach first (404), then field errors: a malformed body cannot probe ids.
      const [own] = await deps.db.read
        .select({ id: t.responseTemplates.id })
        .from(t.responseTemplates)
        .where(and(eq(t.responseTemplates.id, id), eq(t.responseTemplates.departmentCode, actor.dept)));
      if (!own) throw new ApiError(404, 'not_found', 'not_found');
      return c.json(validationError(parsed.issues, lang), 422);
    }
    return c.json(await updateTemplate(deps.db, id, parsed.data, actor, deps.clock.now()));
  });
  r.delete('/:id', async (c) => {
    const actor = actorOf(c);
    await deleteTemplate(c.var.deps.db, templateId(c.req.param('id')), actor, c.var.deps.clock.now());
    return c.json({ ok: true });
  });
  return r;
}
