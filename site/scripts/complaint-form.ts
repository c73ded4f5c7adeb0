/**
 * Progressive enhancement of the complaint form (the form works without this):
 * - four steps with Next/Back instead of one long page;
 * - a live institution picker (GET /api/institutions/lookup) replacing the "Find" round trip;
 * - the prepaid-fee limit hint as soon as amounts are typed;
 * - the proof-of-work, solved just before submitting (GET /api/complaints/challenge).
 */
import { solvePow } from '../../api/intake/pow-solve.ts';

const form = document.querySelector<HTMLFormElement>('[data-complaint-form]');
if (form) enhance(form);

function enhance(form: HTMLFormElement) {
  const d = form.dataset;
  const steps = [...form.querySelectorAll<HTMLFieldSetElement>('fieldset[data-step]')];
  const labels = [...form.querySelectorAll<HTMLElement>('[data-step-label]')];
  const stepBar = form.querySelector<HTMLElement>('[data-steps]');
  let current = 0;

  // Open the step holding the first error, if the server sent the form back.
  const firstInvalid = form.querySelector('[aria-invalid="true"], .error');
  if (firstInvalid) current = Math.max(0, steps.findIndex((s) => s.contains(firstInvalid)));

  const show = (i: number) => {
    current = i;
    steps.forEach((s, j) => (s.hidden = j !== i));
    labels.forEach((l, j) => (j === i ? l.setAttribute('aria-current', 'step') : l.removeAttribute('aria-current')));
    steps[i]?.querySelector<HTMLElement>('legend')?.scrollIntoView({ block: 'start' });
  };
  if (stepBar) stepBar.hidden = false;
  steps.forEach((s, i) => {
    const nav = document.createElement('div');
    nav.className = 'btn-row';
    if (i > 0) nav.append(button(d.msgBack ?? '', 'btn secondary', () => show(i - 1)));
    if (i < steps.length - 1) nav.append(button(d.msgNext ?? '', 'btn', () => show(i + 1)));
    s.append(nav);
  });
  show(current);

  // Live picker.
  const find = form.querySelector<HTMLInputElement>('[data-find]');
  const results = form.querySelector<HTMLUListElement>('[data-picker-results]');
  form.querySelector<HTMLButtonElement>('[data-find-button]')?.setAttribute('hidden', '');
  let timer = 0;
  find?.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void lookup(find.value.trim()), 250);
  });
  find?.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') e.preventDefault();
  });
  async function lookup(q: string) {
    if (!results) return;
    if ([...q].length < 2) {
      results.replaceChildren();
      return;
    }
    const r = await fetch(`/api/institutions/lookup?q=${encodeURIComponent(q)}`).catch(() => null);
    if (!r?.ok) return;
    const { items } = (await r.json()) as { items: { id: string; name: string; address: string; townZh: string; townEn: string }[] };
    results.replaceChildren(
      ...(items.length
        ? items.map((it) => {
            const li = document.createElement('li');
            const label = document.createElement('label');
            label.className = 'choice';
            const input = Object.assign(document.createElement('input'), { type: 'radio', name: 'institutionId', value: it.id });
            const text = document.createElement('span');
            const small = document.createElement('span');
            small.className = 'small muted';
            small.textContent = `${d.lang === 'en' ? it.townEn : it.townZh} · ${it.address}`;
            text.append(it.name, document.createElement('br'), small);
            label.append(input, ' ', text);
            li.append(label);
            return li;
          })
        : [Object.assign(document.createElement('li'), { className: 'muted', textContent: d.msgNomatch ?? '' })]),
    );
  }

  // Prepaid-fee limit hint.
  const over = form.querySelector<HTMLElement>('[data-prepaid-over]');
  const check = () => {
    if (!over) return;
    const hours = Number(form.querySelector<HTMLInputElement>('[name=classesTotal]')?.value);
    const yuan = Number(form.querySelector<HTMLInputElement>('[name=amountPaid]')?.value);
    const maxYuan = d.limitYuan ? Number(d.limitYuan) : null;
    const exceeded = (hours > Number(d.limitHours)) || (maxYuan !== null && yuan > maxYuan);
    over.hidden = !exceeded;
    over.textContent = exceeded ? d.msgOver ?? '' : '';
  };
  form.addEventListener('input', check);
  check();

  // Proof-of-work just before submitting; one submission at a time.
  let busy = false;
  form.addEventListener('submit', async (e) => {
    const submitter = (e as SubmitEvent).submitter as HTMLButtonElement | null;
    if (submitter?.value !== 'submit' || d.pow !== 'on') return;
    e.preventDefault();
    if (busy) return;
    busy = true;
    const label = submitter.textContent;
    submitter.disabled = true;
    submitter.textContent = d.msgPow ?? '';
    try {
      const r = await fetch('/api/complaints/challenge');
      const c = (await r.json()) as { challenge: string; difficulty: number };
      const field = form.querySelector<HTMLInputElement>('[data-pow-field]');
      if (field) field.value = await solvePow(c.challenge, c.difficulty); // "<challenge>:<nonce>"

    } catch {
      /* the server answers with a clear message if the check is missing */
    }
    submitter.textContent = d.msgSubmitting ?? label ?? '';
    const action = Object.assign(document.createElement('input'), { type: 'hidden', name: 'action', value: 'submit' });
    form.append(action);
    form.submit();
  });
}

function button(text: string, className: string, onClick: () => void): HTMLButtonElement {
  const b = Object.assign(document.createElement('button'), { type: 'button', className, textContent: text });
  b.addEventListener('click', onClick);
  return b;
}
