/**
 * System administration over HTTP (docs/domain.md, "Staff roles": the sysadmin). No complaint contents here.
 *   GET/PUT /settings           sysadmin, coordinator   policy values (SettingsSchema), audited old → new
 *   GET     /holidays?year=     sysadmin, coordinator   package days + staff overrides of a year; known?
 *   PUT     /holidays/:year     sysadmin, coordinator   replace that year's overrides, audited
 *   GET/PUT /departments        sysadmin, coordinator   intake e-mail addresses, audited
 *   GET     /audit              sysadmin, coordinator   the audit log, newest first, keyset cursor
 * Every other role gets 403 forbidden.
 */
import { Hono } from 'hono';
import type { StaffRole } from '../../db/schema.ts';
import { ApiError, parseWith, validationError } from '../lib/errors.ts';
import { readBody, sessionOf, type AdminContext, type AdminEnv } from '../staff/admin-api-http.ts';
import {
  auditPage,
  AuditQuerySchema,
  DepartmentsInputSchema,
  HolidaysInputSchema,
  holidaysOfYear,
  listDepartments,
  saveDepartments,
  saveHolidays,
  saveSettings,
  settingsView,
  SettingsInputSchema,
} from './system.ts';

/** Who may use the system-administration routes (the coordination office manages policy too). */
export const mayAdminister = (role: StaffRole) => role === 'sysadmin' || role === 'coordinator';

function adminCaller(c: AdminContext) {
  const s = sessionOf(c).staff;
  if (!mayAdminister(s.role)) throw new ApiError(403, 'forbidden', 'forbidden');
  return { staffId: s.id, role: s.role, ip: c.var.clientIp };
}

const YEAR = /^(19|20)\d{2}$/;

export function systemRoutes() {
  const r = new Hono<AdminEnv>();

  r.get('/settings', async (c) => {
    adminCaller(c);
    return c.json(await settingsView(c.var.deps.db));
  });

  r.put('/settings', async (c) => {
    const caller = adminCaller(c);
    const { lang, deps } = c.var;
    const parsed = parseWith(SettingsInputSchema, await readBody(c), lang);
    if (!parsed.ok) return c.json(validationError(parsed.issues, lang), 422);
    const settings = await saveSettings(deps.db, parsed.data, caller, deps.clock.now());
    return c.json({ settings });
  });

  r.get('/holidays', async (c) => {
    const caller = adminCaller(c);
    const raw = c.req.query('year') ?? String(new Date(c.var.deps.clock.now().getTime() + 8 * 3600_000).getUTCFullYear() + 1);
    if (!YEAR.test(raw)) return c.json(validationError([{ path: 'year', message: c.var.lang === 'en' ? 'Enter a four-digit year.' : '请填写四位年份。' }], c.var.lang), 422);
    return c.json(await holidaysOfYear(c.var.deps.db, Number(raw), { withOpenCases: caller.role === 'coordinator' }));
  });

  r.put('/holidays/:year', async (c) => {
    const caller = adminCaller(c);
    const { lang, deps } = c.var;
    const raw = c.req.param('year');
    if (!YEAR.test(raw)) throw new ApiError(404, 'not_found', 'not_found');
    const year = Number(raw);
    const parsed = parseWith(HolidaysInputSchema(year), await readBody(c), lang);
    if (!parsed.ok) return c.json(validationError(parsed.issues, lang), 422);
    await saveHolidays(deps.db, year, parsed.data.days, caller, deps.clock.now());
    return c.json(await holidaysOfYear(deps.db, year, { withOpenCases: caller.role === 'coordinator' }));
  });

  r.get('/departments', async (c) => {
    adminCaller(c);
    return c.json({ departments: await listDepartments(c.var.deps.db) });
  });

  r.put('/departments', async (c) => {
    const caller = adminCaller(c);
    const { lang, deps } = c.var;
    const parsed = parseWith(DepartmentsInputSchema, await readBody(c), lang);
    if (!parsed.ok) return c.json(validationError(parsed.issues, lang), 422);
    const result = await saveDepartments(deps.db, parsed.data.departments, caller, deps.clock.now());
    if (!result.ok) return c.json(validationError(result.issues, lang), 422);
    return c.json({ departments: await listDepartments(deps.db) });
  });

  r.get('/audit', async (c) => {
    adminCaller(c);
    const { lang, deps } = c.var;
    const parsed = parseWith(AuditQuerySchema, c.req.query(), lang);
    if (!parsed.ok) return c.json(validationError(parsed.issues, lang), 422);
    return c.json(await auditPage(deps.db, parsed.data, deps.pii));
  });

  return r;
}
