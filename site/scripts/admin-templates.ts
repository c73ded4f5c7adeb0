/**
 * Case page: the "insert" buttons of the response templates (site/components/admin/
 * TemplateOffer.astro). Without JavaScript the buttons stay hidden and the texts are there to
 * copy; with it, a click puts the text into the action's textarea at the cursor (within its
 * maxlength). Loaded as a bundled module script (CSP script-src 'self', no inline script).
 */
for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-template-insert]')) {
  button.hidden = false;
  button.addEventListener('click', () => {
    const area = document.getElementById(button.dataset.templateInsert ?? '');
    const text = button.closest('[data-template-item]')?.querySelector('[data-template-text]')?.textContent ?? '';
    if (!(area instanceof HTMLTextAreaElement) || !text) return;
    const start = area.selectionStart ?? area.value.length;
    const end = area.selectionEnd ?? start;
    const before = area.value.slice(0, start);
    const after = area.value.slice(end);
    const room = area.maxLength > 0 ? Math.max(0, area.maxLength - before.length - after.length) : text.length;
    const piece = text.slice(0, room);
    area.value = before + piece + after;
    area.focus();
    area.setSelectionRange(start + piece.length, start + piece.length);
    area.dispatchEvent(new Event('input', { bubbles: true }));
  });
}
