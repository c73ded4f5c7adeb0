/**
 * A backup holds no readable personal data without DATA_KEY: a complaint goes in with a
 * distinctive description, name, number, client IP and photo (plus notes from staff, one meant for
 * the parent), the parent looks it up, the sysadmin downloads a backup through the real endpoint
 * (api/ops/backup.ts, VACUUM INTO), and the backup's bytes are searched for each of them — and
 * for the photo's bytes as stored after re-encoding. As a control, what is stored in plain text on
 * purpose (the tracking code, the course) is found, so the search does look at the right bytes.
 */
import { eq } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as t from '../../db/schema.ts';
import { applyAction } from '../../api/cases/workflow.ts';
import { fileComplaint } from '../../api/intake/file-complaint.ts';
import { ComplaintInputSchema } from '../../api/intake/schema.ts';
import { trackComplaint } from '../../api/public/tracking.ts';
import { logInAs, seedStaff } from '../helpers/admin-session.ts';
import { complaintBody, createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';

let deps: TestDeps;

beforeAll(async () => {
  deps = await createSeededDeps(10);
  await seedStaff(deps);
});
afterAll(() => deps?.cleanup());

const DESCRIPTION = '培训机构蓝鲸星辰教育突然关门，老板微信把我拉黑，剩余三十二节课不退款';
const NAME = '慕容雪芹';
const MOBILE = '13987654321';
const IP = '198.51.100.173';
const FILE_NAME = '慕容家缴费收据.jpg';
const PUBLIC_NOTE = '已约谈机构负责人欧阳振华，要求十日内退款';
const STAFF_NOTE = '机构负责人手机另存，勿外传：紫藤花园七号楼';
const COURSE = '青少年机器人编程冬令营';

describe('backup contents', () => {
  it('hold none of what the parent wrote, their IP or their photo; the tracking code and course are there', async () => {
    // A photo with real entropy, so any 48-byte slice of it identifies it.
    const photo = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#777', noise: { type: 'gaussian', mean: 120, sigma: 50 } } }).jpeg().toBuffer();
    const data = ComplaintInputSchema.parse(complaintBody({ description: DESCRIPTION, parentName: NAME, mobile: MOBILE, course: COURSE }));
    const { result } = await fileComplaint(deps, data, { ip: IP }, [{ name: FILE_NAME, bytes: photo }]);
    const code = result.trackingCode;
    const [c] = await deps.db.read.select().from(t.complaints).where(eq(t.complaints.trackingCode, code));
    const [head] = await deps.db.read.select().from(t.staff).where(eq(t.staff.username, `${result.lead.code}.head`));
    await applyAction(deps, c!.id, { type: 'note', staffNote: STAFF_NOTE, publicNote: PUBLIC_NOTE }, { kind: 'staff', staffId: head!.id, role: 'dept_head', dept: result.lead.code });
    // The parent looks the case up from the same address (a per-IP counter).
    const view = await trackComplaint(deps, code, MOBILE.slice(-4), IP);
    expect(view.timeline.at(-1)?.note).toBe(PUBLIC_NOTE); // decrypted for the parent

    // The photo exactly as stored (re-encoded, then encrypted): its plain bytes, from the download.
    const [file] = await deps.db.read.select().from(t.attachments).where(eq(t.attachments.complaintId, c!.id));
    const stored = deps.pii.revealBytes(file!.content);
    expect(stored.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));

    const app = testApp(deps);
    const sysadmin = await logInAs(app, deps, 'sysadmin');
    const res = await sysadmin.post('/api/admin/backup');
    expect(res.status).toBe(200);
    const backup = Buffer.from(await res.arrayBuffer());
    expect(backup.subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');

    const found = (s: string | Buffer) => backup.includes(typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
    // Control: plain on purpose, and found.
    expect(found(code)).toBe(true);
    expect(found(COURSE)).toBe(true);
    // Personal data: not found in any readable form.
    for (const [what, s] of Object.entries({ DESCRIPTION, NAME, MOBILE, IP, FILE_NAME, PUBLIC_NOTE, STAFF_NOTE })) {
      expect(found(s), what).toBe(false);
    }
    expect(found(DESCRIPTION.slice(0, 8)), 'part of the description').toBe(false);
    expect(found(MOBILE.slice(3)), 'the number without its prefix').toBe(false);
    for (let at = 64; at + 48 <= stored.length; at += Math.floor((stored.length - 112) / 8)) {
      expect(found(stored.subarray(at, at + 48)), `photo bytes at ${at}`).toBe(false);
    }
    expect(found(photo.subarray(200, 248)), 'the photo as uploaded').toBe(false);
  });
});
