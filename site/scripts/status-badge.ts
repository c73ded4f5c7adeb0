/**
 * Live license status: asks GET /api/institutions/<id>/status (cacheable, ETag) and updates the
 * badge if the status changed since the page was built. On any failure the build-time value,
 * with its date, simply stays.
 */
for (const el of document.querySelectorAll<HTMLElement>('[data-status-badge]')) {
  const id = el.dataset.statusBadge!;
  const labels = JSON.parse(el.dataset.labels ?? '{}') as Record<string, string>;
  fetch(`/api/institutions/${encodeURIComponent(id)}/status`, { headers: { accept: 'application/json' } })
    .then((r) => (r.ok ? r.json() : null))
    .then((data: { licenseStatus: string; licenseValidUntil: string; asOf: string } | null) => {
      if (!data || !labels[data.licenseStatus]) return;
      el.textContent = labels[data.licenseStatus]!;
      el.className = `badge st-${data.licenseStatus}`;
      el.title = `${el.dataset.labelLive ?? ''} ${data.asOf}`;
      el.dataset.live = 'true';
      const note = el.parentElement?.querySelector<HTMLElement>('[data-status-note]');
      if (note) note.textContent = `${data.licenseValidUntil} · ${el.dataset.labelLive ?? ''} ${data.asOf}`;
    })
    .catch(() => undefined);
}
