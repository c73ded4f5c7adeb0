import type { APIRoute } from 'astro';
import { inspectionRecords } from '../../lib/open-data.ts';

export const GET: APIRoute = async () => new Response(JSON.stringify(await inspectionRecords()), { headers: { 'Content-Type': 'application/json; charset=utf-8' } });
