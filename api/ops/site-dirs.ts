/**
 * Layout of built sites: SITE_DIR/builds/<id>/{client,server,build-info.json} and the symlink
 * SITE_DIR/current → builds/<id>. The symlink is replaced with rename(2), which is atomic: a
 * request sees the old site or the new one, never a half-written folder.
 *
 * A SITE_DIR outside the project (e.g. /var/lib/peixun/site) also holds SITE_DIR/node_modules, a
 * symlink to the project's node_modules: a build's server bundle imports its packages (preact,
 * astro's runtime, libsql …) by bare name, which Node resolves by walking up from the bundle's
 * own folder, and Astro's prerender step and api/server.ts both import that bundle.
 */
import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

export interface BuildInfo {
  id: string;
  dataVersion: string;
  builtAt: string;
}

export const currentLink = (siteDir: string) => resolve(siteDir, 'current');
export const buildsDir = (siteDir: string) => resolve(siteDir, 'builds');

export function currentBuildDir(siteDir: string): string | null {
  const link = currentLink(siteDir);
  if (!existsSync(link)) return null;
  try {
    return realpathSync(link);
  } catch {
    return null;
  }
}

export function readBuildInfo(dir: string): BuildInfo | null {
  const f = join(dir, 'build-info.json');
  if (!existsSync(f)) return null;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as BuildInfo;
  } catch {
    return null;
  }
}

export const modulesLink = (siteDir: string) => resolve(siteDir, 'node_modules');

/** The folder is the project itself or inside it (then Node finds the project's node_modules anyway). */
export function isInsideProject(siteDir: string, root: string): boolean {
  const rel = relative(realpathSync(root), realpathSync(resolve(siteDir)));
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * Point SITE_DIR/node_modules at the project's node_modules when SITE_DIR is outside the project
 * (see the top of this file). Replaced atomically when it points elsewhere (the project moved to a
 * new release folder); a real folder of that name is left alone.
 */
export function linkProjectModules(siteDir: string, root: string): void {
  if (isInsideProject(siteDir, root)) return;
  const link = modulesLink(siteDir);
  const target = join(root, 'node_modules');
  const st = lstatSync(link, { throwIfNoEntry: false });
  if (st && !st.isSymbolicLink()) return;
  if (st && readlinkSync(link) === target) return;
  const tmp = `${link}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  symlinkSync(target, tmp);
  renameSync(tmp, link);
}
