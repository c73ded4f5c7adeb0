import type { APIRoute } from 'astro';
import { institutionRecords, toJson } from '../../lib/open-data.ts';

export const GET: APIRoute = async () => new Response(toJson(await institutionRecords()), { headers: { 'Content-Type': 'application/json; charset=utf-8' } });
