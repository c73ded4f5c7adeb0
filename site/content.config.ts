/** Content collections: risk notices and guides, Markdown under the top-level content/ folder. */
import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
import { z } from 'astro/zod';

const departmentCode = z.enum(['edu', 'culture', 'science', 'market', 'fire', 'police']);

const notices = defineCollection({
  loader: glob({ pattern: '*.md', base: './content/notices' }),
  schema: z.object({
    title: z.string().min(4),
    titleEn: z.string().min(4),
    summary: z.string().max(120),
    summaryEn: z.string(),
    date: z.coerce.date(),
    kind: z.enum(['consumer', 'holiday', 'safety', 'violation', 'unlicensed', 'inspection', 'contract']),
    severity: z.enum(['info', 'warning', 'danger']),
    departments: z.array(departmentCode).min(1),
    institutions: z.array(z.string()).default([]),
  }),
});

const guides = defineCollection({
  loader: glob({ pattern: '*.md', base: './content/guides' }),
  schema: z.object({
    title: z.string(),
    titleEn: z.string(),
    summary: z.string(),
    summaryEn: z.string(),
    order: z.number().int(),
    updated: z.coerce.date(),
  }),
});

export const collections = { notices, guides };
