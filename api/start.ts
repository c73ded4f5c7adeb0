/**
 * `npm start`: migrate, seed the demo district if the database is empty (demo mode), build the
 * site if it is missing or older than the data, then serve everything on PORT. Stops gracefully on
 * SIGTERM/SIGINT: in-flight requests finish, then the database closes. An uncaught error does the
 * same and exits non-zero (api/process-guard.ts), so the supervisor starts a fresh process.
 */
import { createDeps } from './bootstrap.ts';
import { demoDataFound, demoRefusalMessage } from './demo/production-check.ts';
import { seedDemo, isDatabaseEmpty } from './demo/seed.ts';
import { loadEnv } from './env.ts';
import { siteIsStale } from './ops/build.ts';
import { claimBuild, runBuild, SYSTEM_REQUESTER } from './ops/build-runs.ts';
import { currentBuildDir } from './ops/site-dirs.ts';
import { startServer } from './server.ts';
import { installProcessGuard } from './process-guard.ts';
import { startOutboxWorker } from './notify/outbox-worker.ts';
import { startIntakeThread } from './intake/writer.ts';
import { startRetentionJob } from './retention/purge.ts';
import { createLogSms, createMailer } from './notify/transports.ts';

const env = loadEnv();
const deps = await createDeps(env, { server: true });
const { log } = deps;

if (env.APP_MODE === 'production') {
  const found = await demoDataFound(deps);
  if (found.length) {
    const message = demoRefusalMessage(found);
    log.fatal({ found }, 'demo data in a production database: refusing to start');
    console.error(message);
    await deps.db.close();
    process.exit(1);
  }
}

const intakeThread =
  env.INTAKE_THREAD === 'on' && deps.db.isLocalFile
    ? await startIntakeThread(deps.db, {
        onCrash(err) {
          // It may have died holding the write lock or an open transaction: restart the process.
          log.fatal({ err: err.message }, 'intake thread crashed; stopping so the process is restarted');
          process.exit(1);
        },
      })
    : null;
if (intakeThread) deps.intakeWriter = intakeThread;

if (await isDatabaseEmpty(deps)) {
  if (env.APP_MODE === 'demo') {
    log.info({ institutions: env.DEMO_INSTITUTIONS }, 'empty database: generating demo district (演示数据)');
    const r = await seedDemo(deps, { institutions: env.DEMO_INSTITUTIONS, writeCredentials: true });
    log.info({ institutions: r.institutions, complaints: r.complaints, credentials: `${env.DATA_DIR}/demo-credentials.json` }, 'demo data ready');
  } else {
    log.warn('empty database in production mode: import the registry through the admin section');
  }
}

if (await siteIsStale(deps.db, env)) {
  // Through the build lock (site_builds): another process may be publishing right now.
  const claim = await claimBuild(deps.db, SYSTEM_REQUESTER, deps.clock.now());
  if (!claim.claimed) {
    log.info({ build: claim.build.id }, 'site build already running in another process');
  } else {
    log.info({ build: claim.build.id }, 'building the public site');
    const r = await runBuild(deps, claim.build, SYSTEM_REQUESTER);
    // Keep serving an older build if there is one; with none, say so in the exit code.
    if (!r.ok && !currentBuildDir(env.SITE_DIR)) process.exitCode = 1;
  }
}

const running = await startServer(deps, { port: env.PORT, host: env.HOST });
log.info({ url: `http://${env.HOST === '0.0.0.0' ? 'localhost' : env.HOST}:${running.port}` }, 'listening');

const worker =
  env.OUTBOX_WORKER === 'on' ? startOutboxWorker(deps, { mailer: createMailer(env.SMTP_URL, env.MAIL_FROM, log), sms: createLogSms(log) }) : null;

const retention = startRetentionJob(deps);

/** Stop accepting, let in-flight requests finish, stop the background work, close the database. */
let stopped: Promise<void> | null = null;
function stopAll(): Promise<void> {
  stopped ??= (async () => {
    await running.close();
    await intakeThread?.stop();
    await worker?.stop();
    retention.stop();
    await deps.db.close();
  })();
  return stopped;
}

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down: finishing in-flight requests');
  const force = setTimeout(() => process.exit(1), 15_000);
  force.unref();
  await stopAll();
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
// After a fatal error: the same stop as for a signal (or the one already under way), then exit 70.
installProcessGuard({ log, stop: stopAll });
