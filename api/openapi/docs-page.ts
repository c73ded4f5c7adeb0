/**
 * GET /api/docs: a readable, server-rendered page of the OpenAPI document — endpoints, fields,
 * limits, errors and examples — for the people who integrate with us (a WeChat mini-program, the
 * 12345 hotline's system). Rendered from openApiDocument() so it cannot say something the JSON
 * does not. No script and no inline style: the site's CSP (script-src 'self'; style-src 'self')
 * applies here too; the look comes from /api/docs.css.
 */
import { openApiDocument } from './document.ts';

type Json = Record<string, unknown>;

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Inline `code` spans in descriptions become <code>; everything else is escaped text. */
const prose = (s: unknown) => esc(s ?? '').replace(/`([^`]+)`/g, '<code>$1</code>');

function resolve(doc: Json, schema: Json): Json {
  const ref = schema.$ref as string | undefined;
  if (!ref) return schema;
  const name = ref.split('/').pop()!;
  return ((doc.components as Json).schemas as Record<string, Json>)[name]!;
}

/** A short type label: string, integer, "a" | "b", string (pattern …), array of …, A | B. */
export function typeLabel(doc: Json, raw: Json): string {
  const s = resolve(doc, raw);
  if (raw.$ref) return (raw.$ref as string).split('/').pop()!;
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(' | ');
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.anyOf)) return [...new Set((s.anyOf as Json[]).map((x) => typeLabel(doc, x)))].join(' | ');
  if (s.type === 'array') return `array of ${typeLabel(doc, (s.items as Json) ?? {})}${s.maxItems ? ` (at most ${s.maxItems})` : ''}`;
  if (s.contentMediaType) return 'file';
  const type = Array.isArray(s.type) ? (s.type as string[]).join(' | ') : ((s.type as string | undefined) ?? 'any');
  const extras = [s.pattern ? `pattern ${s.pattern}` : '', s.maxLength ? `≤ ${s.maxLength} chars` : ''].filter(Boolean);
  return extras.length ? `${type} (${extras.join(', ')})` : type;
}

function fieldsTable(doc: Json, schemaRef: Json): string {
  const s = resolve(doc, schemaRef);
  const props = (s.properties ?? {}) as Record<string, Json>;
  const required = new Set((s.required ?? []) as string[]);
  const rows = Object.entries(props)
    .map(([name, p]) => {
      const example = Array.isArray(p.examples) ? `<br><span class="example">e.g. <code>${esc(JSON.stringify(p.examples[0]))}</code></span>` : '';
      return `<tr><th scope="row"><code>${esc(name)}</code></th><td>${esc(typeLabel(doc, p))}</td><td>${required.has(name) ? 'yes' : ''}</td><td>${prose(p.description)}${example}</td></tr>`;
    })
    .join('');
  return `${s.description ? `<p>${prose(s.description)}</p>` : ''}<table><thead><tr><th scope="col">field</th><th scope="col">type</th><th scope="col">required</th><th scope="col">notes</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function operationSection(doc: Json, path: string, method: string, op: Json): string {
  const id = esc(op.operationId);
  const params = ((op.parameters ?? []) as Json[])
    .map((p) => `<li><code>${esc(p.name)}</code> <span class="where">(${esc(p.in)}${p.required ? ', required' : ''})</span> ${esc(typeLabel(doc, p.schema as Json))}${p.description ? ` — ${prose(p.description)}` : ''}${p.example !== undefined ? ` <span class="example">e.g. <code>${esc(p.example)}</code></span>` : ''}</li>`)
    .join('');
  let body = '';
  const content = ((op.requestBody as Json | undefined)?.content ?? {}) as Record<string, Json>;
  for (const [mediaType, media] of Object.entries(content)) {
    body += `<h4>Body: <code>${esc(mediaType)}</code></h4>${fieldsTable(doc, media.schema as Json)}`;
    if (media.example) body += `<p>Example:</p><pre><code>${esc(JSON.stringify(media.example, null, 2))}</code></pre>`;
  }
  const responses = Object.entries((op.responses ?? {}) as Record<string, Json>)
    .map(([status, r]) => {
      const schema = ((r.content as Record<string, Json> | undefined)?.['application/json']?.schema ?? null) as Json | null;
      return `<li><strong>${esc(status)}</strong> ${prose(r.description)}${schema ? ` → <code>${esc(typeLabel(doc, schema))}</code>` : ''}</li>`;
    })
    .join('');
  return `<section id="${id}"><h3><span class="method">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p><strong>${prose(op.summary)}</strong></p>${op.description ? `<p>${prose(op.description)}</p>` : ''}
${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ''}${body}<h4>Responses</h4><ul>${responses}</ul></section>`;
}

function schemaSection(doc: Json, name: string): string {
  return `<section id="schema-${esc(name)}"><h3><code>${esc(name)}</code></h3>${fieldsTable(doc, { $ref: `#/components/schemas/${name}` })}</section>`;
}

export function renderDocsPage(): string {
  const doc = openApiDocument();
  const info = doc.info as Json;
  const ops: [string, string, Json][] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(item)) ops.push([path, method, op]);
  }
  const toc = ops.map(([path, method, op]) => `<li><a href="#${esc(op.operationId)}"><span class="method">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></a> — ${prose(op.summary)}</li>`).join('');
  const responseSchemas = ['IntakeResult', 'Challenge', 'TrackingView', 'InstitutionStatus', 'Error'];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API — ${esc(info.title)}</title>
<link rel="stylesheet" href="/api/docs.css">
</head>
<body>
<main>
<h1>${esc(info.title)}</h1>
<p>Version ${esc(info.version)}. Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI ${esc(doc.openapi)}).</p>
<p>${prose(info.description)}</p>
<h2>Endpoints</h2>
<ul class="toc">${toc}</ul>
${ops.map(([path, method, op]) => operationSection(doc, path, method, op)).join('\n')}
<h2>Response schemas</h2>
${responseSchemas.map((n) => schemaSection(doc, n)).join('\n')}
</main>
</body>
</html>`;
}

export const DOCS_CSS = `body{margin:0;font:16px/1.6 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1b1b1b;background:#fff}
main{max-width:62rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:2px solid #b71c1c}h3{margin-top:2rem}
code,pre{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:.9em}
pre{background:#f5f5f5;padding:.75rem;overflow-x:auto}
table{border-collapse:collapse;width:100%;display:block;overflow-x:auto}
th,td{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}
thead th{background:#f0f0f0}
.method{display:inline-block;min-width:3.5rem;font-weight:700;color:#b71c1c}
.where,.example{color:#555}
section{border-top:1px solid #ddd}
`;
