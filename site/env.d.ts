/// <reference types="astro/client" />

/** What api/server.ts hands to on-demand pages: the same services the API uses. */
declare namespace App {
  interface Locals {
    deps: import('../api/deps.ts').Deps;
  }
}
