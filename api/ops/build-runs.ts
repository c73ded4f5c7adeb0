/**
 * Publishing from the admin: one site build at a time across every app process, its progress and
 * log kept in the database (table site_builds) while it runs, and its history.
 *
 *   claimBuild   one write transaction (BEGIN IMMEDIATE holds the database write lock, so two
 *                processes cannot both pass the check): a fresh 'running' row means "already
 *                running, here it is"; a 'running' row without a heartbeat for STALE_AFTER_MS was
 *                left by a crashed process and is closed as failed; then a new 'running' row is
 *                inserted. The partial unique index site_builds_one_running_uq refuses a second
 *                running row even if a claim ever got past the check.
 *   runBuild     runs api/ops/build.ts (child process, new folder, atomic symlink swap) for a
 *                claimed row; output is appended to the row every few seconds together with the
 *                heartbeat; the row ends as succeeded or failed with an audit row either way.
 */
import { hostname } from 'node:os';
import { and, desc, eq, lt, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import * as t from '../../db/schema.ts';
import { appendAudit } from '../audit/log.ts';
import type { Deps } from '../deps.ts';
import { buildSite, dataVersion, type BuildOptions } from './build.ts';

/** How often a running build writes its new output and its heartbeat. */
export const HEARTBEAT_MS = 3_000;
/** A running row without a heartbeat for this long belongs to a process that died. */
export const STALE_AFTER_MS = 2 * 60_000;
/** The stored log keeps its last part only (an Astro build with warnings can be long). */
export const MAX_LOG_CHARS = 200_000;
/** How many builds the history shows. */
export const HISTORY_LIMIT = 20;
/** Builds older than the last this many keep their row (the history) but not their log. */
export const KEEP_LOGS = 50;

export interface Requester {
  staffId: number | null;
  role: string | null;
  ip: string | null;
}

/** A build the system starts itself (start-up, `npm run build`): no person, role or address. */
export const SYSTEM_REQUESTER: Requester = { staffId: null, role: null, ip: null };

export type BuildRow = typeof t.siteBuilds.$inferSelect;

export type Claim = { claimed: true; build: BuildRow } | { claimed: false; build: BuildRow };

const claimant = () => `${hostname()}:${process.pid}`;

const isUniqueViolation = (err: unknown): boolean => {
  const e = err as { code?: string; message?: string; cause?: unknown } | null;
  if (!e) return false;
  if (/UNIQUE constraint failed: site_builds/i.test(e.message ?? '')) return true;
  return e.cause ? isUniqueViolation(e.cause) : false;
};

const trimLog = (s: string) => (s.length > MAX_LOG_CHARS ? `…\n${s.slice(s.length - MAX_LOG_CHARS)}` : s);

/** Take the build lock, or learn which build holds it. */
export async function claimBuild(db: Db, by: Requester, now: Date): Promise<Claim> {
  const version = Number(await dataVersion(db)) || 0;
  try {
    return await db.write(async (tx) => {
      const [running] = await tx.select().from(t.siteBuilds).where(eq(t.siteBuilds.status, 'running'));
      if (running) {
        const lastSign = (running.heartbeatAt ?? running.startedAt).getTime();
        if (now.getTime() - lastSign < STALE_AFTER_MS) return { claimed: false as const, build: running };
        await tx
          .update(t.siteBuilds)
          .set({ status: 'failed', finishedAt: now, heartbeatAt: null, log: trimLog(`${running.log}\n[abandoned: no sign of life from ${running.claimedBy ?? '?'} since ${new Date(lastSign).toISOString()}; the live site was not changed by it]\n`) })
          .where(eq(t.siteBuilds.id, running.id));
        await appendAudit(tx, { at: now, actorKind: 'system', action: 'site.build_abandoned', objectType: 'site_build', objectId: String(running.id), detail: { claimedBy: running.claimedBy } });
      }
      const [row] = await tx
        .insert(t.siteBuilds)
        .values({ status: 'running', startedAt: now, heartbeatAt: now, dataVersion: version, requestedBy: by.staffId, claimedBy: claimant(), log: '' })
        .returning();
      await appendAudit(tx, { at: now, actorKind: by.staffId ? 'staff' : 'system', actorStaffId: by.staffId, actorRole: by.role, action: 'site.publish_started', objectType: 'site_build', objectId: String(row!.id), ip: by.ip, detail: { dataVersion: version } });
      return { claimed: true as const, build: row! };
    });
  } catch (err) {
    // Only reachable if a claim slipped past the check: the index kept the lock single.
    if (!isUniqueViolation(err)) throw err;
    const [running] = await db.read.select().from(t.siteBuilds).where(eq(t.siteBuilds.status, 'running'));
    if (!running) throw err;
    return { claimed: false, build: running };
  }
}

/** New output and a heartbeat, only while the row is still ours and running. */
async function appendOutput(db: Db, id: number, chunk: string, now: Date): Promise<void> {
  await db.write(async (tx) => {
    await tx
      .update(t.siteBuilds)
      .set({ log: chunk ? sql`substr(${t.siteBuilds.log} || ${chunk}, -${MAX_LOG_CHARS})` : sql`${t.siteBuilds.log}`, heartbeatAt: now })
      .where(and(eq(t.siteBuilds.id, id), eq(t.siteBuilds.status, 'running')));
  });
}

async function finish(db: Db, build: BuildRow, by: Requester, ok: boolean, dir: string | null, tail: string, error: string | null, now: Date, ms: number): Promise<void> {
  await db.write(async (tx) => {
    await tx
      .update(t.siteBuilds)
      .set({ status: ok ? 'succeeded' : 'failed', finishedAt: now, heartbeatAt: null, dir: ok ? dir : null, error, log: tail ? sql`substr(${t.siteBuilds.log} || ${tail}, -${MAX_LOG_CHARS})` : sql`${t.siteBuilds.log}` })
      .where(and(eq(t.siteBuilds.id, build.id), eq(t.siteBuilds.status, 'running')));
    await tx.update(t.siteBuilds).set({ log: '' }).where(and(lt(t.siteBuilds.id, build.id - KEEP_LOGS + 1), ne(t.siteBuilds.status, 'running')));
    await appendAudit(tx, {
      at: now,
      actorKind: by.staffId ? 'staff' : 'system',
      actorStaffId: by.staffId,
      actorRole: by.role,
      action: ok ? 'site.publish_succeeded' : 'site.publish_failed',
      objectType: 'site_build',
      objectId: String(build.id),
      ip: by.ip,
      detail: { ms },
    });
  });
}

/**
 * Runs a claimed build to its end. Never throws: whatever goes wrong (the child fails, the folder
 * cannot be written) ends the row as failed, and the live site stays as it was.
 */
export interface RunOptions extends BuildOptions {
  /** Also hand the output to the caller as it comes (the CLI prints it). */
  onOutput?: (chunk: string) => void;
}

export async function runBuild(deps: Pick<Deps, 'db' | 'env' | 'log' | 'clock'>, build: BuildRow, by: Requester, options: RunOptions = {}): Promise<{ ok: boolean }> {
  const { db, clock } = deps;
  let pending = '';
  let flushing: Promise<void> = Promise.resolve();
  const flush = () => {
    const chunk = pending;
    pending = '';
    flushing = flushing.then(() => appendOutput(db, build.id, chunk, clock.now())).catch((err) => deps.log.warn({ err }, 'could not store build output'));
    return flushing;
  };
  const timer = setInterval(() => void flush(), HEARTBEAT_MS);
  const started = Date.now();
  let ok = false;
  let dir: string | null = null;
  let error: string | null = null;
  try {
    const r = await buildSite(
      db,
      deps.env,
      deps.log,
      (s) => {
        pending += s;
        options.onOutput?.(s);
      },
      { argv: options.argv, id: `${started}-${build.id}` },
    );
    ok = r.ok;
    dir = r.dir;
    if (!ok) {
      error = r.error;
      pending += `\n[build failed with exit code ${r.code}; the live site was not changed]\n`;
    }
  } catch (err) {
    error = `build could not run: ${(err as Error).message}`;
    deps.log.error({ err, build: build.id }, 'site build could not run; live site unchanged');
    pending += `\n[${error}; the live site was not changed]\n`;
  } finally {
    clearInterval(timer);
  }
  await flushing;
  const tail = pending;
  pending = '';
  try {
    await finish(db, build, by, ok, dir, tail, error, clock.now(), Date.now() - started);
  } catch (err) {
    deps.log.error({ err, build: build.id }, 'could not record the end of a site build');
  }
  return { ok };
}

/**
 * Claim and, when the lock was ours, start the build in the background (the request answers at
 * once; the page follows the row). `done` resolves when that build has ended.
 */
export async function startPublish(deps: Pick<Deps, 'db' | 'env' | 'log' | 'clock'>, by: Requester, options: RunOptions = {}): Promise<Claim & { done: Promise<unknown> }> {
  const claim = await claimBuild(deps.db, by, deps.clock.now());
  const done = claim.claimed ? runBuild(deps, claim.build, by, options) : Promise.resolve();
  return { ...claim, done };
}

export interface BuildSummary {
  id: number;
  status: t.SiteBuildStatus;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  requestedBy: { id: number; username: string; displayName: string } | null;
  dataVersion: number;
  live: boolean;
}

/** The latest builds, newest first, without their logs. */
export async function buildHistory(db: Db, liveDir: string | null, limit = HISTORY_LIMIT): Promise<BuildSummary[]> {
  const rows = await db.read
    .select({ b: { id: t.siteBuilds.id, status: t.siteBuilds.status, startedAt: t.siteBuilds.startedAt, finishedAt: t.siteBuilds.finishedAt, dataVersion: t.siteBuilds.dataVersion, dir: t.siteBuilds.dir }, s: { id: t.staff.id, username: t.staff.username, displayName: t.staff.displayName } })
    .from(t.siteBuilds)
    .leftJoin(t.staff, eq(t.staff.id, t.siteBuilds.requestedBy))
    .orderBy(desc(t.siteBuilds.id))
    .limit(limit);
  return rows.map(({ b, s }) => summary(b, s, liveDir));
}

type StaffRef = { id: number | null; username: string | null; displayName: string | null } | null;
type BuildFields = Pick<BuildRow, 'id' | 'status' | 'startedAt' | 'finishedAt' | 'dataVersion' | 'dir'>;

function summary(b: BuildFields, s: StaffRef, liveDir: string | null): BuildSummary {
  return {
    id: b.id,
    status: b.status,
    startedAt: b.startedAt.toISOString(),
    finishedAt: b.finishedAt?.toISOString() ?? null,
    durationMs: b.finishedAt ? b.finishedAt.getTime() - b.startedAt.getTime() : null,
    requestedBy: s?.id ? { id: s.id, username: s.username!, displayName: s.displayName! } : null,
    dataVersion: b.dataVersion,
    live: !!b.dir && b.dir === liveDir,
  };
}

/** One build with its log, or null. */
export async function buildDetail(db: Db, id: number, liveDir: string | null): Promise<(BuildSummary & { log: string; error: string | null }) | null> {
  const [row] = await db.read
    .select({ b: t.siteBuilds, s: { id: t.staff.id, username: t.staff.username, displayName: t.staff.displayName } })
    .from(t.siteBuilds)
    .leftJoin(t.staff, eq(t.staff.id, t.siteBuilds.requestedBy))
    .where(eq(t.siteBuilds.id, id));
  if (!row) return null;
  return { ...summary(row.b, row.s, liveDir), log: row.b.log, error: row.b.error };
}

/** The build holding the lock right now, if any. */
export async function runningBuild(db: Db): Promise<BuildRow | null> {
  const [row] = await db.read.select().from(t.siteBuilds).where(eq(t.siteBuilds.status, 'running'));
  return row ?? null;
}
