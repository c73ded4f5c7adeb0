/** Atom feed of risk notices (Chinese titles and summaries, links to the Chinese pages). */
import type { APIRoute } from 'astro';
import { loadEnv } from '../../../api/env.ts';
import { allNotices, isoDate } from '../../lib/notices.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export const GET: APIRoute = async () => {
  const base = loadEnv().PUBLIC_BASE_URL;
  const notices = await allNotices();
  const updated = notices[0]?.data.date ?? new Date(0);
  const entries = notices
    .map((n) => {
      const url = `${base}/notices/${n.id}/`;
      return `  <entry>
    <title>${esc(n.data.title)}</title>
    <link href="${esc(url)}"/>
    <id>${esc(url)}</id>
    <updated>${isoDate(n.data.date)}T00:00:00+08:00</updated>
    <summary>${esc(n.data.summary)}</summary>
  </entry>`;
    })
    .join('\n');
  const xml = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">
  <title>风险提示 · 校外培训机构信息公开平台</title>
  <link href="${esc(base)}/notices/feed.xml" rel="self"/>
  <link href="${esc(base)}/notices/"/>
  <id>${esc(base)}/notices/</id>
  <updated>${isoDate(updated)}T00:00:00+08:00</updated>
${entries}
</feed>
`;
  return new Response(xml, { headers: { 'Content-Type': 'application/atom+xml; charset=utf-8' } });
};
