/** Static paths for /institutions/town/<town>/<page>/: institutions by town, sorted by name. */
import { loadRegistry, type Institution } from './registry.ts';
import { paginate } from './paging.ts';

export async function townPagePaths() {
  const reg = await loadRegistry();
  const byTown = new Map<string, Institution[]>();
  for (const i of reg.institutions) {
    const list = byTown.get(i.town.code) ?? [];
    list.push(i);
    byTown.set(i.town.code, list);
  }
  return reg.towns.flatMap((town) => {
    const all = (byTown.get(town.code) ?? []).sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
    const pages = paginate(all);
    return pages.map((items, idx) => ({
      params: { town: town.code, page: String(idx + 1) },
      props: { town, items, page: idx + 1, pages: pages.length, total: all.length },
    }));
  });
}
