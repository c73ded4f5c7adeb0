/**
 * The tracking page's server side: look a case up (and record a rating) from a POSTed form, so it
 * works in any browser without JavaScript. The code and digits travel in the POST body, never in
 * a URL (no history, no logs, no Referer).
 */
import { ApiError, parseWith } from '../lib/errors.ts';
import type { Lang } from '../lib/messages.ts';
import { TrackQuerySchema } from '../intake/schema.ts';
import { trackComplaint } from './tracking.ts';
import { rateComplaint, RatingSchema } from './rating.ts';
import type { Deps } from '../deps.ts';
import { BodyTooLarge, readFormData } from '../http/body.ts';
import { overLimit } from '../security/rate-limit.ts';
import { TRACK_LIMIT, trackIpKey } from './tracking.ts';

export type TrackView = Awaited<ReturnType<typeof trackComplaint>>;

/** The form has three short fields; anything much bigger is not this form. */
export const TRACK_FORM_LIMIT = 8 * 1024;

export interface TrackState {
  /** The page's HTTP status (the page sets it; 429 also sends Retry-After). */
  status: 200 | 400 | 413 | 429;
  retryAfter: string | null;
  code: string;
  last4: string;
  view: TrackView | null;
  error: 'not_found' | 'rate_limited' | 'code_locked' | 'too_large' | null;
  fieldErrors: Record<string, string>;
  justRated: 'reopened' | 'closed' | null;
}

export async function handleTrack(deps: Deps, request: Request, ip: string | null, lang: Lang): Promise<TrackState> {
  const state: TrackState = { status: 200, retryAfter: null, code: '', last4: '', view: null, error: null, fieldErrors: {}, justRated: null };
  if (request.method !== 'POST') return state;
  const limited = (err: ApiError) => {
    state.status = 429;
    state.retryAfter = err.headers?.['Retry-After'] ?? null;
    state.error = err.messageKey === 'track_code_locked' ? 'code_locked' : 'rate_limited';
    return state;
  };
  // An address already over its lookup limit is answered before its body is read.
  if (ip) {
    const over = await overLimit(deps.db, trackIpKey(deps, ip), TRACK_LIMIT, deps.clock.now());
    if (over) return limited(over);
  }
  let form: FormData;
  try {
    form = await readFormData(request, TRACK_FORM_LIMIT);
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      state.status = 413;
      state.error = 'too_large';
    } else state.status = 400;
    return state;
  }
  state.code = String(form.get('code') ?? '').slice(0, 20);
  state.last4 = String(form.get('last4') ?? '').slice(0, 4);
  const parsed = parseWith(TrackQuerySchema, { code: state.code, last4: state.last4 }, lang);
  if (!parsed.ok) {
    for (const i of parsed.issues) state.fieldErrors[i.path] = i.message;
    return state;
  }
  try {
    const rating = form.get('rating');
    if (rating !== null) {
      const r = RatingSchema.safeParse(rating);
      if (r.success) {
        const after = await rateComplaint(deps, parsed.data.code, parsed.data.last4, r.data, ip);
        state.justRated = after.status === 'in_progress' ? 'reopened' : 'closed';
      } else state.fieldErrors.rating = lang === 'en' ? 'Choose one of the options' : '请选择一项';
    }
    state.view = await trackComplaint(deps, parsed.data.code, parsed.data.last4, ip);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) state.error = 'not_found';
    else if (err instanceof ApiError && err.status === 429) return limited(err);
    else if (err instanceof ApiError && err.status === 409) state.view = await trackComplaint(deps, parsed.data.code, parsed.data.last4, null);
    else throw err;
  }
  return state;
}
