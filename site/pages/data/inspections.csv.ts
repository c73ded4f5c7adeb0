import type { APIRoute } from 'astro';
import { INSPECTION_FIELDS, inspectionRecords, toCsv } from '../../lib/open-data.ts';

export const GET: APIRoute = async () => new Response(toCsv(INSPECTION_FIELDS, await inspectionRecords()), { headers: { 'Content-Type': 'text/csv; charset=utf-8' } });
