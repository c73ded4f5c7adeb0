/**
 * On-demand pages (the complaint form, tracking, the admin pages) are read with GET/HEAD and
 * submitted with POST; any other method is answered 405 with `Allow` before a page runs, as the
 * API does (api/http/allow.ts). Prerendered pages are files served by api/http/static-files.ts,
 * which answers 405 itself for anything but GET/HEAD.
 */
export const PAGE_METHODS = ['GET', 'HEAD', 'POST'] as const;

export function methodNotAllowed(request: Request): Response | null {
  if ((PAGE_METHODS as readonly string[]).includes(request.method.toUpperCase())) return null;
  return new Response('此页面不支持该请求方法。This page does not accept this request method.', {
    status: 405,
    headers: { Allow: PAGE_METHODS.join(', '), 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}
