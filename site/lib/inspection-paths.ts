/** Static paths for the inspection result pages. */
import { loadRegistry } from './registry.ts';

export async function yearPaths() {
  const reg = await loadRegistry();
  return reg.years.map((year) => ({ params: { year: String(year) }, props: { year } }));
}

export async function yearTownPaths() {
  const reg = await loadRegistry();
  return reg.years.flatMap((year) => reg.towns.map((town) => ({ params: { year: String(year), town: town.code }, props: { year, town } })));
}
