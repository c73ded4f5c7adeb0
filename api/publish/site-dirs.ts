/**
 * Layout of built sites: SITE_DIR/builds/<id>/{client,server,build-info.json} and the symlink
 * SITE_DIR/current → builds/<id>. The symlink is replaced with rename(2), which is atomic: a
 * request sees the old site or the new one, never a half-written folder.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';

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
