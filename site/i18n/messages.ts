/**
 * The shape every dictionary has: the Chinese one's, with its literal strings widened. Its own
 * module so that the English dictionaries can be checked against it without importing index.ts,
 * which imports them (that was an import cycle).
 */
import type { zhCN } from './zh-CN.ts';

type Widen<T> = T extends (...args: infer A) => infer R
  ? (...args: A) => R
  : T extends string
    ? string
    : T extends readonly (infer U)[]
      ? readonly Widen<U>[]
      : { [K in keyof T]: Widen<T[K]> };

export type Messages = Widen<typeof zhCN>;
