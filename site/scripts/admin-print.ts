/** The evidence pack's "print" button: shown only with JavaScript (without it, the browser's own print works). */
for (const button of document.querySelectorAll<HTMLButtonElement>('[data-print]')) {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
}
