/** Splits a list into numbered pages for static listing pages (no-JS browsing). */
export const PAGE_SIZE = 100;

export function paginate<T>(items: T[], size = PAGE_SIZE): T[][] {
  const pages: T[][] = [];
  for (let i = 0; i < items.length; i += size) pages.push(items.slice(i, i + size));
  return pages.length ? pages : [[]];
}
