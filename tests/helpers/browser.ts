/**
 * Debian's Chromium through playwright-core. Without Chromium, browser tests skip with a clear
 * message locally — and fail under CI (CI=true), where a skipped browser test would hide a gap.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { isCI } from './ci.ts';

export { isCI };

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);

export function browserAvailability(): { run: boolean; reason?: string } {
  if (hasChromium) return { run: true };
  if (isCI) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: CI must install Debian's chromium package (.ci/run does).`);
  console.warn(`\n[e2e] SKIPPED: Chromium not found at ${CHROMIUM_PATH}. Install it with: apt-get install chromium\n`);
  return { run: false, reason: 'no chromium' };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // playwright gives every launch a fresh temporary profile of its own.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const SCREENSHOT_DIR = join(process.cwd(), 'tests', 'e2e', 'screenshots');
