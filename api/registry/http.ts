/**
 * The registry over HTTP, below /api/admin (behind its session, CSRF and Origin gate). Who may do
 * what is access.ts; the answers, in the order they are checked:
 *   403 forbidden / registry_forbidden / status_forbidden   the role or department may not do this
 *   404                                                     unknown institution, or no such preview
 *   422                                                     field issues with paths; a file that cannot be read
 *   409 import_changed                                      the register changed between preview and apply
 *
 *   GET  /registry/institutions                 list and search (q, town, category, status, page)
 *   GET  /registry/institutions/:id             one institution, its supervisors, status history, inspections
 *   POST /registry/institutions                 create
 *   PUT  /registry/institutions/:id             edit
 *   POST /registry/institutions/:id/status      { status, effectiveOn, reasonZh, reasonEn? }
 *   GET  /registry/templates/:kind.:format      import template (kind institutions | inspections; csv | xlsx)
 *   POST /registry/imports/:kind                multipart `file`: the dry-run report (nothing written)
 *   POST /registry/imports/:kind/:sha256/apply  apply exactly that previewed file
 */
import { Hono } from 'hono';
import type { Caller } from '../cases/access.ts';
import { readBody, readFormFields, sessionOf, type AdminContext, type AdminEnv } from '../staff/admin-api-http.ts';
import { beijingDate } from '../calendar/working-days.ts';
import { ApiError, errorBody, parseWith, validationError } from '../lib/errors.ts';
import { msg } from '../lib/messages.ts';
import { inspectionImportScope, mayChangeLicenseStatus, mayEditRegistry, mayReadRegistry } from './access.ts';
import { applyInspectionImport, dryRunInspectionImport } from './inspection-import.ts';
import { applyInstitutionImport, dryRunInstitutionImport } from './institution-import.ts';
import { changeLicenseStatus, createInstitution, institutionDetail, listInstitutions, referenceLists, updateInstitution } from './institutions.ts';
import { InstitutionInputSchema, RegistryListQuerySchema, StatusChangeSchema } from './schema.ts';
import { MAX_UPLOAD_BYTES } from './spreadsheet.ts';
import { importTemplate, TEMPLATE_KINDS } from './templates.ts';

/** Import uploads: the file plus the multipart envelope and the CSRF field. */
export const IMPORT_BODY_LIMIT = MAX_UPLOAD_BYTES + 64 * 1024;
export const isImportUpload = (method: string, path: string) => method === 'POST' && /\/registry\/imports\/(institutions|inspections)\/?$/.test(path);

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const SHA = /^[0-9a-f]{64}$/;

function callerOf(c: AdminContext) {
  const s = sessionOf(c);
  const caller: Caller = { staffId: s.staff.id, role: s.staff.role, dept: s.staff.departmentCode };
  return { caller, actor: { staffId: caller.staffId, role: caller.role, ip: c.var.clientIp } };
}
const reader = (c: AdminContext) => {
  const who = callerOf(c);
  if (!mayReadRegistry(who.caller)) throw new ApiError(403, 'forbidden', 'forbidden');
  return who;
};
const editor = (c: AdminContext) => {
  const who = callerOf(c);
  if (!mayEditRegistry(who.caller)) throw new ApiError(403, 'forbidden', 'registry_forbidden');
  return who;
};

/** The uploaded `file` field as bytes and a name, or a 422 naming the field. */
async function uploadedFile(c: AdminContext): Promise<{ bytes: Buffer; name: string }> {
  const type = (c.req.header('content-type') ?? '').toLowerCase();
  if (!type.startsWith('multipart/form-data')) throw new ApiError(415, 'unsupported_media', 'unsupported_media');
  const form = await readFormFields(c);
  const f = form.file;
  if (!(f instanceof File) || f.size === 0) throw new ApiError(422, 'validation_failed', 'validation_failed', [{ path: 'file', key: 'import_file_missing' }]);
  if (f.size > MAX_UPLOAD_BYTES) throw new ApiError(413, 'payload_too_large', 'import_file_too_large');
  return { bytes: Buffer.from(await f.arrayBuffer()), name: f.name || 'upload' };
}

export function registryRoutes() {
  const r = new Hono<AdminEnv>();

  r.get('/institutions', async (c) => {
    reader(c);
    const { deps, lang } = c.var;
    const parsed = parseWith(RegistryListQuerySchema, c.req.query(), lang);
    if (!parsed.ok) return c.json(validationError(parsed.issues, lang), 422);
    return c.json(await listInstitutions(deps.db, parsed.data));
  });

  r.get('/institutions/:id', async (c) => {
    reader(c);
    const { deps } = c.var;
    const id = c.req.param('id');
    const detail = ID.test(id) ? await institutionDetail(deps.db, id, beijingDate(deps.clock.now())) : null;
    if (!detail) throw new ApiError(404, 'not_found', 'institution_not_found');
    return c.json(detail);
  });

  r.post('/institutions', async (c) => {
    const { actor } = editor(c);
    const { deps, lang } = c.var;
    const parsed = parseWith(InstitutionInputSchema(await referenceLists(deps.db)), await readBody(c), lang);
    if (!parsed.ok) return c.json(validationError(parsed.issues, lang), 422);
    const saved = await createInstitution(deps.db, parsed.data, actor, deps.clock.now(), lang);
    if (!saved.ok) return c.json(validationError(saved.issues, lang), 422);
    return c.json(await institutionDetail(deps.db, saved.id, beijingDate(deps.clock.now())), 201);
  });

  r.put('/institutions/:id', async (c) => {
    const { actor } = editor(c);
    const { deps, lang } = c.var;
    const id = c.req.param('id');
    if (!ID.test(id)) throw new ApiError(404, 'not_found', 'institution_not_found');
    const parsed = parseWith(InstitutionInputSchema(await referenceLists(deps.db)), await readBody(c), lang);
    if (!parsed.ok) return c.json(validationError(parsed.issues, lang), 422);
    const saved = await updateInstitution(deps.db, id, parsed.data, actor, deps.clock.now(), lang);
    if (!saved.ok && saved.status === 404) throw new ApiError(404, 'not_found', 'institution_not_found');
    if (!saved.ok) return c.json(validationError(saved.issues, lang), 422);
    return c.json(await institutionDetail(deps.db, id, beijingDate(deps.clock.now())));
  });

  r.post('/institutions/:id/status', async (c) => {
    const { caller, actor } = callerOf(c);
    if (!mayChangeLicenseStatus(caller)) throw new ApiError(403, 'forbidden', mayReadRegistry(caller) ? 'status_forbidden' : 'forbidden');
    const { deps, lang } = c.var;
    const id = c.req.param('id');
    if (!ID.test(id)) throw new ApiError(404, 'not_found', 'institution_not_found');
    const parsed = parseWith(StatusChangeSchema, await readBody(c), lang);
    if (!parsed.ok) return c.json(validationError(parsed.issues, lang), 422);
    const saved = await changeLicenseStatus(deps.db, id, parsed.data, actor, deps.clock.now(), lang);
    if (!saved.ok && saved.status === 404) throw new ApiError(404, 'not_found', 'institution_not_found');
    if (!saved.ok) return c.json(validationError(saved.issues, lang), 422);
    return c.json(await institutionDetail(deps.db, id, beijingDate(deps.clock.now())));
  });

  r.get('/templates/:file', async (c) => {
    reader(c);
    const m = /^(institutions|inspections)\.(csv|xlsx)$/.exec(c.req.param('file'));
    if (!m || !TEMPLATE_KINDS.includes(m[1] as never)) throw new ApiError(404, 'not_found', 'not_found');
    // A download link cannot set Accept-Language: the English pages link with ?lang=en.
    const lang = c.req.query('lang') === 'en' ? 'en' : c.req.query('lang') === 'zh-CN' ? 'zh-CN' : c.var.lang;
    const t = await importTemplate(m[1] as 'institutions' | 'inspections', m[2] as 'csv' | 'xlsx', lang);
    return c.body(new Uint8Array(t.bytes), 200, { 'Content-Type': t.contentType, 'Content-Disposition': t.disposition });
  });

  r.post('/imports/:kind', async (c) => {
    const { caller, actor } = callerOf(c);
    const { deps, lang } = c.var;
    const kind = c.req.param('kind');
    if (kind !== 'institutions' && kind !== 'inspections') throw new ApiError(404, 'not_found', 'not_found');
    const scope = kind === 'institutions' ? (mayEditRegistry(caller) ? 'all' : null) : inspectionImportScope(caller);
    if (!scope) throw new ApiError(403, 'forbidden', mayReadRegistry(caller) ? 'registry_forbidden' : 'forbidden');
    const file = await uploadedFile(c);
    const now = deps.clock.now();
    const result = kind === 'institutions' ? await dryRunInstitutionImport(deps.db, file, actor, now, lang) : await dryRunInspectionImport(deps.db, file, { scope, dept: caller.dept }, actor, now, lang);
    if (!result.ok) return c.json(errorBody(result.status === 413 ? 'payload_too_large' : 'validation_failed', msg(result.key, lang), [{ path: 'file', message: msg(result.key, lang) }]), result.status);
    return c.json(result.report);
  });

  r.post('/imports/:kind/:sha256/apply', async (c) => {
    const { caller, actor } = callerOf(c);
    const { deps, lang } = c.var;
    const kind = c.req.param('kind');
    const sha = c.req.param('sha256');
    if (kind !== 'institutions' && kind !== 'inspections') throw new ApiError(404, 'not_found', 'not_found');
    const scope = kind === 'institutions' ? (mayEditRegistry(caller) ? 'all' : null) : inspectionImportScope(caller);
    if (!scope) throw new ApiError(403, 'forbidden', mayReadRegistry(caller) ? 'registry_forbidden' : 'forbidden');
    if (!SHA.test(sha)) throw new ApiError(404, 'not_found', 'import_not_previewed');
    const now = deps.clock.now();
    const result = kind === 'institutions' ? await applyInstitutionImport(deps.db, sha, actor, now, lang) : await applyInspectionImport(deps.db, sha, { scope, dept: caller.dept }, actor, now, lang);
    if (!result.ok) return c.json(errorBody(result.status === 404 ? 'not_found' : result.status === 409 ? 'import_changed' : 'validation_failed', msg(result.key, lang)), result.status);
    return c.json(result);
  });

  return r;
}
