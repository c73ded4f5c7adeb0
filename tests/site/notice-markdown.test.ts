/**
 * Raw HTML never reaches a published notice. (1) The cluster risk-notice draft
 * (api/cases/cluster-notice.ts) writes registry text (name, license number, address) as literal
 * Markdown text: rendered even by a Markdown processor that passes raw HTML through, the page has
 * no element from it and shows the text as it is. (2) The site's Markdown pipeline — Astro's
 * default processor (Sätteri) with the integration astro.config.mjs installs — drops raw HTML in
 * a notice file altogether.
 */
import { readFileSync } from 'node:fs';
import { satteri } from '@astrojs/markdown-satteri';
import type { AstroIntegration } from 'astro';
import type { MarkdownProcessor } from 'astro/markdown';
import { parseFrontmatter } from 'astro/markdown';
import { describe, expect, it } from 'vitest';
import astroConfig from '../../astro.config.mjs';
import { clusterNoticeDraft } from '../../api/cases/cluster-notice.ts';

type Processor = MarkdownProcessor<object>;

/** Astro's default processor with the site's integrations applied, as `astro build` sets it up. */
function siteProcessor(): Processor {
  const processor = satteri() as unknown as Processor;
  for (const i of (astroConfig.integrations ?? []) as AstroIntegration[]) {
    const setup = i.hooks['astro:config:setup'] as ((o: unknown) => void) | undefined;
    if (i.name.startsWith('peixun-')) setup?.({ config: { markdown: { processor } } });
  }
  return processor;
}

/** Renders a Markdown file's body the way Astro's content layer does (front matter split off first). */
async function render(processor: Processor, file: string): Promise<string> {
  const renderer = await processor.createRenderer({ syntaxHighlight: false } as never);
  const { frontmatter, content } = parseFrontmatter(file);
  return (await renderer.render(content, { frontmatter })).code;
}

const HOSTILE = {
  id: 'demo-0001',
  name: '<img src=x onerror=alert(1)>华鼎',
  licenseNo: '教民<script>alert(2)</script>1101',
  address: '朝阳区[点我](javascript:alert(3)) **88号**\n\n<iframe src=//evil.example></iframe>',
};
const draft = () => clusterNoticeDraft({ today: '2026-11-27', institution: HOSTILE, trigger: 'count', complaintCount: 4, firstOn: '2026-11-20', lastOn: '2026-11-26' });
const ELEMENTS = /<(img|script|iframe|a)\b/i;

describe('the cluster notice draft', () => {
  it('renders registry text as text, even through a processor that keeps raw HTML', async () => {
    const html = await render(satteri() as unknown as Processor, draft());
    expect(html).not.toMatch(ELEMENTS);
    expect(html).not.toContain('<strong>88号</strong>');
    // The name is on the page as the text it is.
    expect(html).toContain('涉及“<strong>&lt;img src=x onerror=alert(1)&gt;华鼎</strong>”的');
    expect(html).toContain('朝阳区[点我](javascript:alert(3)) **88号** &lt;iframe src=//evil.example&gt;&lt;/iframe&gt;');
  });

  it('through the site pipeline too, and the front matter keeps the name as plain text', async () => {
    const file = draft();
    const html = await render(siteProcessor(), file);
    expect(html).not.toMatch(ELEMENTS);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;华鼎');
    expect(parseFrontmatter(file).frontmatter.title).toBe('关于<img src=x onerror=alert(1)>华鼎退费风险的消费提示');
  });
});

describe('notice Markdown with raw HTML', () => {
  const notice = [
    '---',
    'title: "带HTML的提示"',
    '---',
    '',
    '家长们请注意：<img src=x onerror=alert(1)> 不要预付。',
    '',
    '<script>alert(document.cookie)</script>',
    '',
    '<div onclick="alert(1)">',
    '',
    '**保存凭证**，<a href="javascript:alert(2)">链接</a>可退费。',
    '',
    '</div>',
    '',
    '<iframe src="https://evil.example/"></iframe>',
    '',
    '## 一、给家长的提示',
    '',
  ].join('\n');

  it('renders without any of it; the Markdown around it stays', async () => {
    const html = await render(siteProcessor(), notice);
    expect(html).not.toMatch(/<(img|script|div|a|iframe)\b/i);
    expect(html).not.toMatch(/onerror|onclick|javascript:|alert/);
    expect(html).toContain('<strong>保存凭证</strong>');
    expect(html).toContain('家长们请注意：');
    expect(html).toMatch(/<h2[^>]*>一、给家长的提示<\/h2>/);
  });

  it('an existing notice renders the same text as before (nothing legitimate is lost)', async () => {
    const file = readFileSync(new URL('../../content/notices/2024-prepaid-fee-alert.md', import.meta.url), 'utf8');
    expect(await render(siteProcessor(), file)).toBe(await render(satteri() as unknown as Processor, file));
  });
});
