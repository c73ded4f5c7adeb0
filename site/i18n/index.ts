/** The site's strings: zh-CN first, en complete. Pages get a dictionary with `strings(lang)`. */
import { zhCN } from './zh-CN.ts';
import { en } from './en.ts';
import type { Messages } from './messages.ts';

export type { Messages };

export type SiteLang = 'zh-CN' | 'en';

const DICTS: Record<SiteLang, Messages> = { 'zh-CN': zhCN, en };

export const strings = (lang: SiteLang): Messages => DICTS[lang];

/** Path of the same page in a language: '/x/' ↔ '/en/x/'. */
export function localePath(lang: SiteLang, path: string): string {
  const clean = path.replace(/^\/en(?=\/|$)/, '') || '/';
  return lang === 'en' ? `/en${clean === '/' ? '/' : clean}` : clean;
}
