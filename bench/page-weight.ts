/**
 * `npm run bench:page-weight`: what a parent's phone downloads for an institution page on a weak
 * link — HTML + CSS and JavaScript (with every module it imports), gzipped as the server sends
 * them — against the budget (HTML + CSS ≤ 30 KB, JS ≤ 10 KB compressed) and, as the plain
 * baseline in the same run, the smallest page the same layout can make (the 404 page).
 */
import { gzipSync } from 'node:zlib';
import { startProduct } from '../tests/helpers/server-process.ts';

const product = await startProduct({ env: { DEMO_INSTITUTIONS: '400' } });

async function weigh(path: string) {
  const base = product.baseUrl;
  const html = await (await fetch(`${base}${path}`)).text();
  const css = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]!);
  const js = new Set([...html.matchAll(/<script type="module" src="([^"]+)"/g)].map((m) => m[1]!));
  // Follow static imports of module chunks (Vite emits `import … from "./chunk.js"`).
  const queue = [...js];
  const bodies = new Map<string, string>();
  while (queue.length) {
    const src = queue.shift()!;
    const body = await (await fetch(new URL(src, `${base}${path}`))).text();
    bodies.set(src, body);
    for (const m of body.matchAll(/(?:import|from)\s*["']([^"']+\.js)["']/g)) {
      const dep = new URL(m[1]!, new URL(src, `${base}${path}`)).pathname;
      if (!js.has(dep)) {
        js.add(dep);
        queue.push(dep);
      }
    }
  }
  const gz = (s: string) => gzipSync(Buffer.from(s), { level: 6 }).length;
  let cssBytes = 0;
  for (const href of css) cssBytes += gz(await (await fetch(new URL(href, `${base}${path}`))).text());
  let jsBytes = 0;
  for (const body of bodies.values()) jsBytes += gz(body);
  return { htmlCss: gz(html) + cssBytes, js: jsBytes, files: 1 + css.length + js.size };
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const page = await weigh('/institutions/demo-0042/');
const baseline = await weigh('/no-such-page/');
const search = await weigh('/institutions/');
await product.cleanup();

console.log(`institution page   HTML+CSS ${kb(page.htmlCss)} (budget 30 KB)   JS ${kb(page.js)} (budget 10 KB)   ${page.files} files`);
console.log(`search page        HTML+CSS ${kb(search.htmlCss)}   JS ${kb(search.js)}   ${search.files} files`);
console.log(`baseline (404)     HTML+CSS ${kb(baseline.htmlCss)}   JS ${kb(baseline.js)}`);
console.log(`ratio              HTML+CSS ${(page.htmlCss / baseline.htmlCss).toFixed(2)}×   JS ${(page.js / Math.max(1, baseline.js)).toFixed(2)}×`);
