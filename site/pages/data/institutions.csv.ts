import type { APIRoute } from 'astro';
import { INSTITUTION_FIELDS, institutionRecords, toCsv } from '../../lib/open-data.ts';

export const GET: APIRoute = async () => new Response(toCsv(INSTITUTION_FIELDS, await institutionRecords()), { headers: { 'Content-Type': 'text/csv; charset=utf-8' } });
