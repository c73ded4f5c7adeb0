/**
 * The project's folder (where package.json and node_modules are), found from this module's own
 * location by walking up. Not `new URL('../../', import.meta.url)`: the admin pages run this
 * code from Astro's server bundle (SITE_DIR/builds/<id>/server/chunks/…), where a fixed relative
 * path lands inside the build folder. A bundle inside the project finds it by walking up; a
 * bundle under a SITE_DIR outside the project passes SITE_DIR/node_modules on the way, the symlink
 * to the project's node_modules that api/ops/site-dirs.ts (linkProjectModules) keeps there.
 */
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

export function projectRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (isProject(dir)) return (cached = dir);
    const linked = linkedProject(dir);
    if (linked && isProject(linked)) return (cached = linked);
    const up = dirname(dir);
    if (up === dir) return (cached = process.cwd());
    dir = up;
  }
}

const isProject = (dir: string) => existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'node_modules', 'astro', 'bin', 'astro.mjs')) && existsSync(join(dir, 'api'));

/** The folder whose node_modules `dir/node_modules` links to (one level: a worktree's own link is not followed further). */
function linkedProject(dir: string): string | null {
  const link = join(dir, 'node_modules');
  try {
    if (!lstatSync(link).isSymbolicLink()) return null;
    return dirname(resolve(dir, readlinkSync(link)));
  } catch {
    return null;
  }
}
