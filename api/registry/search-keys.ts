/**
 * Derived search keys for an institution name: toneless full pinyin (huadingyishu) and initials
 * (hdys). Computed when a name is written, stored in the row, so the site build and the picker
 * never run pinyin conversion per query.
 */
import { pinyin } from 'pinyin-pro';

export function nameSearchKeys(name: string): { namePinyin: string; nameInitials: string } {
  const syllables = pinyin(name, { toneType: 'none', type: 'array', nonZh: 'consecutive', v: true });
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  return {
    namePinyin: syllables.map(clean).join(''),
    nameInitials: syllables.map((s) => clean(s).slice(0, 1)).join(''),
  };
}
