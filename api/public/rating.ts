/**
 * The parent's rating of a resolved case (满意 / 基本满意 / 不满意), authorised by tracking code +
 * last four digits; 不满意 within the window reopens the case once (the workflow decides).
 */
import { z } from 'zod';
import { RATINGS } from '../../db/schema.ts';
import type { Deps } from '../deps.ts';
import { findForParent } from './tracking.ts';
import { applyAction } from '../cases/workflow.ts';

export const RatingSchema = z.enum(RATINGS, { error: 'choice_invalid' });

export async function rateComplaint(deps: Deps, code: string, last4: string, rating: (typeof RATINGS)[number], ip: string | null) {
  const c = await findForParent(deps, code, last4, ip);
  return applyAction(deps, c.id, { type: 'rate', rating }, { kind: 'public' }, { ip });
}
