/**
 * The tracking page's server side: look a case up (and record a rating) from a POSTed form, so it
 * works in any browser without JavaScript. The code and digits travel in the POST body, never in
 * a URL (no history, no logs, no Referer).
 */
import { ApiError, parseWith } from '../../api/lib/errors.ts';
import type { Lang } from '../../api/lib/messages.ts';
import { TrackQuerySchema } from '../../api/complaints/schema.ts';
import { trackComplaint } from '../../api/complaints/tracking.ts';
import { rateComplaint, RatingSchema } from '../../api/complaints/rating.ts';
import type { Deps } from '../../api/deps.ts';

export type TrackView = Awaited<ReturnType<typeof trackComplaint>>;

export interface TrackState {
  code: string;
  last4: string;
  view: TrackView | null;
  error: 'not_found' | 'rate_limited' | null;
  fieldErrors: Record<string, string>;
  justRated: 'reopened' | 'closed' | null;
}

export async function handleTrack(deps: Deps, request: Request, ip: string | null, lang: Lang): Promise<TrackState> {
  const state: TrackState = { code: '', last4: '', view: null, error: null, fieldErrors: {}, justRated: null };
  if (request.method !== 'POST') return state;
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
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
    else if (err instanceof ApiError && err.status === 429) state.error = 'rate_limited';
    else if (err instanceof ApiError && err.status === 409) state.view = await trackComplaint(deps, parsed.data.code, parsed.data.last4, null);
    else throw err;
  }
  return state;
}
