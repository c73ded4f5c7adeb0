import type { APIRoute } from 'astro';
import { inspectionRecords, toJson } from '../../lib/open-data.ts';

export const GET: APIRoute = async () => new Response(toJson(await inspectionRecords()), { headers: { 'Content-Type': 'application/json; charset=utf-8' } });
