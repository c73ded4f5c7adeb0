import type { APIRoute } from 'astro';
import { institutionRecords } from '../../lib/open-data.ts';

export const GET: APIRoute = async () => new Response(JSON.stringify(await institutionRecords()), { headers: { 'Content-Type': 'application/json; charset=utf-8' } });
