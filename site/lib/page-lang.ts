/**
 * One page file per route serves both languages: pages live under site/pages/[...lang]/, where
 * the rest parameter is empty for Chinese (no prefix: /institutions/) and `en` for English
 * (/en/institutions/). Static pages list both in getStaticPaths; on-demand pages answer 404 for
 * any other prefix.
 */
import type { SiteLang } from '../i18n/index.ts';

export const PAGE_LANGS: readonly SiteLang[] = ['zh-CN', 'en'];

/** The [...lang] parameter of a page in `lang`: none for Chinese, `en` for English. */
export const langParam = (lang: SiteLang): string | undefined => (lang === 'en' ? 'en' : undefined);

/** The language a [...lang] parameter names, or null for any other prefix (the page is a 404). */
export function pageLang(param: string | undefined): SiteLang | null {
  if (param === undefined || param === '') return 'zh-CN';
  return param === 'en' ? 'en' : null;
}

/** getStaticPaths of a page without parameters of its own: one path per language. */
export const localeStaticPaths = () => PAGE_LANGS.map((lang) => ({ params: { lang: langParam(lang) } }));

/** A page's own static paths, once per language. */
export function withLocales<P extends { params: Record<string, string | number | undefined> }>(paths: readonly P[]) {
  return PAGE_LANGS.flatMap((lang) => paths.map((p) => ({ ...p, params: { ...p.params, lang: langParam(lang) } })));
}

/** What an on-demand page answers for a prefix that is no language of the site. */
export const notAPage = () => new Response('页面不存在。Page not found.', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
