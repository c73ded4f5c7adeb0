/** Risk notices from content/notices, newest first, and which notices name which institution. */
import { getCollection, type CollectionEntry } from 'astro:content';

export type Notice = CollectionEntry<'notices'>;

let cached: Promise<Notice[]> | null = null;

export function allNotices(): Promise<Notice[]> {
  return (cached ??= getCollection('notices').then((list: Notice[]) => list.sort((a: Notice, b: Notice) => b.data.date.getTime() - a.data.date.getTime())));
}

export async function noticesNaming(institutionId: string): Promise<Notice[]> {
  return (await allNotices()).filter((n) => n.data.institutions.includes(institutionId));
}

export const isoDate = (d: Date) => d.toISOString().slice(0, 10);
