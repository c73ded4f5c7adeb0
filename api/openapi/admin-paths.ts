/**
 * The staff API (/api/admin) in the OpenAPI document. The list of operations is read from the
 * router itself (adminRoutes().routes), so a route cannot be left out; each has a one-line summary
 * here (tests/openapi/openapi.test.ts fails for a route without one). Authentication is the guard's
 * (api/staff/guard.ts): the session cookie on every route but the two sign-in steps, and the
 * session's CSRF token on every state-changing request.
 */
import { adminRoutes } from '../admin-routes.ts';

type JsonSchema = Record<string, unknown>;

export const ADMIN_BASE = '/api/admin';

/** Sign-in steps that work without a session (guard.ts PUBLIC_ENDPOINTS). */
const PUBLIC = new Set(['POST /session', 'POST /session/enrol']);

export const ADMIN_SUMMARIES: Record<string, string> = {
  'POST /session': 'Sign in with username, password and TOTP code; sets the session cookie and returns the CSRF token',
  'POST /session/enrol': 'First sign-in: enrol the authenticator (TOTP) and start a session',
  'DELETE /session': 'Sign out (ends this session)',
  'POST /sessions/revoke-all': 'End every session of the signed-in account',
  'POST /password': 'Change the signed-in account’s password',
  'GET /me': 'The signed-in account, its role and department, and the CSRF token',
  'GET /complaints': 'The case queue of the caller’s department (filters, paging)',
  'GET /complaints/{code}': 'One case with its parent’s details, evidence list and history',
  'GET /complaints/{code}/attachments/{id}': 'Download one evidence file of a case',
  'POST /complaints/{code}/transitions': 'Move a case on (accept, refuse, transfer, resolve, extend …) with a note',
  'GET /settings': 'Service settings (deadlines, limits)',
  'PUT /settings': 'Change service settings',
  'GET /holidays': 'The official holiday calendars used for working-day deadlines',
  'PUT /holidays/{year}': 'Set one year’s official holidays and make-up working days',
  'GET /departments': 'Departments with their contact e-mail and phone',
  'PUT /departments': 'Change departments’ contact details',
  'GET /audit': 'The audit log (filters, paging)',
  'GET /staff': 'Staff accounts (sysadmin)',
  'POST /staff': 'Create a staff account (sysadmin; its temporary password is in the answer — for a handler, head or coordinator: 202 without a password, it waits for its confirmer, who receives the password)',
  'POST /staff/{id}/deactivate': 'Deactivate a staff account',
  'POST /staff/{id}/reset-totp': 'Reset a staff account’s authenticator (a handler’s, head’s or coordinator’s: 202, waits for its confirmer)',
  'POST /staff/{id}/reactivate': 'Reactivate a staff account (a handler’s, head’s or coordinator’s: 202, waits for its confirmer)',
  'POST /staff/{id}/reset-password': 'Give a staff account a new temporary password (a handler’s, head’s or coordinator’s: 202, waits for its confirmer, who receives the password)',
  'GET /staff-requests': 'Account requests waiting for my confirmation (a head, or a coordinator)',
  'POST /staff-requests/{id}/confirm': 'Confirm what the sysadmin asked: a new account (its temporary password is in the answer), a re-enabled account, or a password (the new temporary password is in the answer) or TOTP reset',
  'POST /staff-requests/{id}/refuse': 'Refuse what the sysadmin asked; the account stays as it was',
  'GET /notices': 'Notices waiting for me (backup downloads, repeated failed sign-ins)',
  'POST /notices/{id}/acknowledge': 'Acknowledge a notice',
  'GET /clusters': 'Open clusters of complaints against one operator (coordination office)',
  'GET /clusters/{id}/notice-draft': 'Draft risk notice (Markdown) for a cluster',
  'POST /clusters/{id}/handle': 'Mark a cluster handled',
  'GET /escalations': 'Cases past their deadlines, by department (coordination office)',
  'GET /publish': 'Site builds: the running one and the history',
  'POST /publish': 'Rebuild and publish the public site (one build at a time)',
  'GET /publish/{id}': 'One site build with its log',
  'POST /backup': 'Download a consistent copy of the database (sysadmin)',
  'GET /team': 'The head’s department team',
  'POST /team': 'Add a handler to the head’s department',
  'POST /team/{id}/deactivate': 'Deactivate a team member',
  'POST /team/{id}/reactivate': 'Reactivate a team member',
  'POST /team/{id}/reset-totp': 'Reset a team member’s authenticator',
  'POST /team/{id}/reset-password': 'Give a team member a new temporary password',
  'GET /templates': 'The department’s response templates',
  'POST /templates': 'Add a response template',
  'PUT /templates/{id}': 'Change a response template',
  'DELETE /templates/{id}': 'Delete a response template',
  'GET /registry/institutions': 'Registry: institutions (search, paging)',
  'GET /registry/institutions/{id}': 'Registry: one institution',
  'POST /registry/institutions': 'Registry: add an institution',
  'PUT /registry/institutions/{id}': 'Registry: change an institution',
  'POST /registry/institutions/{id}/status': 'Registry: change an institution’s license status',
  'GET /registry/templates/{file}': 'Registry: download an import template (XLSX)',
  'POST /registry/imports/{kind}': 'Registry: upload a spreadsheet for import (checked, not yet applied)',
  'POST /registry/imports/{kind}/{sha256}/apply': 'Registry: apply a checked import',
};

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Every admin route as METHOD + OpenAPI path (below /api/admin), in router order, once each. */
export function adminOperations(): { method: string; path: string }[] {
  const seen = new Set<string>();
  const out: { method: string; path: string }[] = [];
  for (const r of adminRoutes(ADMIN_BASE).routes) {
    if (r.method === 'ALL') continue; // middleware
    const path = r.path.replace(/\/$/, '').replace(/:(\w+)/g, '{$1}') || '/';
    const key = `${r.method} ${path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ method: r.method, path });
  }
  return out;
}

export const ADMIN_SECURITY_SCHEMES = {
  staffSession: {
    type: 'apiKey',
    in: 'cookie',
    name: 'peixun_admin',
    description: 'The session cookie set by POST /api/admin/session (HttpOnly, SameSite=Strict). Named __Host-peixun_admin when PUBLIC_BASE_URL is https.',
  },
  csrfToken: {
    type: 'apiKey',
    in: 'header',
    name: 'X-CSRF-Token',
    description: 'The session’s CSRF token (from the sign-in answer or GET /api/admin/me); required on every state-changing request (or as the form field _csrf). A browser’s Origin must be PUBLIC_BASE_URL’s.',
  },
};

/** The OpenAPI path items of the staff API. */
export function adminPaths(errorResponse: (d: string) => JsonSchema): Record<string, Record<string, JsonSchema>> {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const { method, path } of adminOperations()) {
    const key = `${method} ${path}`;
    const open = PUBLIC.has(key);
    const unsafe = !SAFE.has(method);
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const op: JsonSchema = {
      tags: ['admin'],
      operationId: `admin ${key}`.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : '')),
      summary: ADMIN_SUMMARIES[key] ?? key,
      security: open ? [] : [unsafe ? { staffSession: [], csrfToken: [] } : { staffSession: [] }],
      ...(params.length ? { parameters: params } : {}),
      ...(unsafe && method !== 'DELETE' ? { requestBody: { required: false, content: { 'application/json': { schema: { type: 'object' } } } } } : {}),
      responses: {
        '200': { description: 'Done; the answer (JSON unless a download)' },
        ...(open ? {} : { '401': errorResponse('No live session (unauthorized)') }),
        '403': errorResponse(
          `${unsafe ? 'Not allowed for this role, or the CSRF token / Origin is wrong (forbidden, csrf)' : 'Not allowed for this role (forbidden)'}; or the account still has a temporary password and may only read /me, change its password and sign out (password_change_required)`,
        ),
        ...(unsafe ? { '422': errorResponse('Field errors (validation_failed)') } : {}),
      },
    };
    (paths[`${ADMIN_BASE}${path === '/' ? '' : path}`] ??= {})[method.toLowerCase()] = op;
  }
  return paths;
}
