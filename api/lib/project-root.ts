/**
 * The project's folder (where package.json and node_modules are), found from this module's own
 * location by walking up. Not `new URL('../../', import.meta.url)`: the admin pages run this
 * code from Astro's server bundle (SITE_DIR/builds/<id>/server/chunks/…), where a fixed relative
 * path lands inside the build folder. The bundle lives inside the project (it resolves packages
 * from the project's node_modules), so walking up finds the project either way.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

export function projectRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'node_modules', 'astro', 'bin', 'astro.mjs')) && existsSync(join(dir, 'api'))) return (cached = dir);
    const up = dirname(dir);
    if (up === dir) return (cached = process.cwd());
    dir = up;
  }
}
