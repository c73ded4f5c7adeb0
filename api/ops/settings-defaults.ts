/**
 * Rules that are policy, not code. Defaults follow docs/domain.md and the national rules it quotes;
 * a district changes them in the admin settings (stored in the `settings` table), never here.
 */
import { z } from 'zod';

export const SettingsSchema = z.object({
  /** Accept (受理) within N working days of submission. */
  acceptWorkingDays: z.number().int().min(1).max(30).default(2),
  /** Resolve (办结) within N working days of acceptance. */
  resolveWorkingDays: z.number().int().min(1).max(90).default(15),
  /** One extension of at most N working days, approved by the department head. */
  extensionWorkingDays: z.number().int().min(1).max(90).default(15),
  /** Cluster: this many complaints against one institution within the window… */
  clusterThreshold: z.number().int().min(2).max(100).default(3),
  clusterWindowDays: z.number().int().min(1).max(90).default(7),
  /** Prepaid-fee limits (预收费): months, class-hours, and an optional yuan cap (null = none). */
  prepaidMaxMonths: z.number().int().min(1).max(24).default(3),
  prepaidMaxClassHours: z.number().int().min(1).max(500).default(60),
  prepaidMaxYuan: z.number().int().min(0).nullable().default(5000),
  /** Personal data of closed cases is removed this many days after closure. */
  retentionDays: z.number().int().min(30).max(3650).default(1095),
  /** A 不满意 rating within N calendar days reopens the case once (回访复核). */
  reopenWindowDays: z.number().int().min(1).max(30).default(7),
});

export type Settings = z.infer<typeof SettingsSchema>;
export const DEFAULT_SETTINGS: Settings = SettingsSchema.parse({});
