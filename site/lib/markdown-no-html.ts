/**
 * Markdown on this site (risk notices and guides under content/) never carries raw HTML: a notice
 * is drafted from registry text (api/cases/cluster-notice.ts) and edited by staff, and a published
 * page must not run or show markup that slipped into it. Astro's Markdown processor (Sätteri, the
 * default in Astro 7) passes `<tag>` blocks and inline HTML through verbatim; these plugins drop
 * them instead: the mdast `html` nodes as parsed, and any hast `raw` node a later step might add.
 *
 * Wired in astro.config.mjs through an integration that adds the plugins to the configured
 * processor's options (the processor keeps a reference to them, as `satteri()` documents), so no
 * Markdown page is rendered without them.
 */
import type { AstroIntegration } from 'astro';

interface VisitorContext {
  removeNode(node: unknown): void;
}

/** Sätteri mdast plugin: raw HTML blocks and inline HTML are removed from the tree. */
export const dropRawHtmlMdast = {
  name: 'peixun-drop-raw-html',
  html(node: unknown, ctx: VisitorContext) {
    ctx.removeNode(node);
  },
};

/** Sätteri hast plugin: any `raw` (verbatim HTML) node left in the HTML tree is removed too. */
export const dropRawHtmlHast = {
  name: 'peixun-drop-raw-html-hast',
  raw(node: unknown, ctx: VisitorContext) {
    ctx.removeNode(node);
  },
};

interface ProcessorLike {
  name: string;
  options: { mdastPlugins?: unknown[]; hastPlugins?: unknown[] };
}

/** Adds the plugins to a Sätteri processor; refuses any other, so a switch cannot drop the rule silently. */
export function addNoRawHtml(processor: ProcessorLike): void {
  if (processor.name !== 'satteri') throw new Error(`markdown processor "${processor.name}" is not Sätteri: site/lib/markdown-no-html.ts cannot keep raw HTML out of notices`);
  (processor.options.mdastPlugins ??= []).push(dropRawHtmlMdast);
  (processor.options.hastPlugins ??= []).push(dropRawHtmlHast);
}

export function noRawHtmlInMarkdown(): AstroIntegration {
  return {
    name: 'peixun-no-raw-html-in-markdown',
    hooks: {
      'astro:config:setup': ({ config }) => addNoRawHtml(config.markdown.processor as unknown as ProcessorLike),
    },
  };
}
