/**
 * Large-text mode (适老化): a button toggles html[data-text=large]; the choice persists in
 * localStorage. Loaded as a bundled module script (no inline script, CSP-safe).
 */
const KEY = 'text-size';
const root = document.documentElement;

function apply(size: string | null) {
  if (size === 'large') root.dataset.text = 'large';
  else delete root.dataset.text;
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-text-toggle]')) {
    const large = root.dataset.text === 'large';
    b.setAttribute('aria-pressed', String(large));
    b.textContent = large ? b.dataset.labelNormal ?? '' : b.dataset.labelLarge ?? '';
  }
}

let saved: string | null = null;
try {
  saved = localStorage.getItem(KEY);
} catch {
  /* storage may be blocked (private mode, some in-app browsers) */
}
apply(saved);
for (const b of document.querySelectorAll<HTMLButtonElement>('[data-text-toggle]')) {
  b.hidden = false;
  b.addEventListener('click', () => {
    const next = root.dataset.text === 'large' ? 'normal' : 'large';
    try {
      localStorage.setItem(KEY, next);
    } catch {
      /* still applies for this page */
    }
    apply(next);
  });
}
