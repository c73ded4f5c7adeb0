/** The site's strings: zh-CN first, en complete. Pages get a dictionary with `strings(lang)`. */
import { zhCN } from './zh-CN.ts';
import { en } from './en.ts';

type Widen<T> = T extends (...args: infer A) => infer R
  ? (...args: A) => R
  : T extends string
    ? string
    : T extends readonly (infer U)[]
      ? readonly Widen<U>[]
      : { [K in keyof T]: Widen<T[K]> };

export type Messages = Widen<typeof zhCN>;
export type SiteLang = 'zh-CN' | 'en';

const DICTS: Record<SiteLang, Messages> = { 'zh-CN': zhCN, en };

export const strings = (lang: SiteLang): Messages => DICTS[lang];

/** Path of the same page in a language: '/x/' ↔ '/en/x/'. */
export function localePath(lang: SiteLang, path: string): string {
  const clean = path.replace(/^\/en(?=\/|$)/, '') || '/';
  return lang === 'en' ? `/en${clean === '/' ? '/' : clean}` : clean;
}
