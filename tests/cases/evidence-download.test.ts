/**
 * Evidence files go out under a name the product makes — `<tracking code>-<n>.<ext>`, the
 * extension from the type recognised at intake — as attachments with nosniff; the name the
 * parent's device gave a file never becomes a file name (the case view carries it as text).
 * And a file that only starts like a PDF is refused at intake.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { logInAs, seedStaff } from '../helpers/admin-session.ts';
import { complaintBody, createSeededDeps, testApp, type TestDeps } from '../helpers/test-deps.ts';
import { expectErrorShape, postMultipart, samplePdf } from '../helpers/intake.ts';

let deps: TestDeps;
let app: ReturnType<typeof testApp>;
let seq = 0;
const fields = () => complaintBody({ institutionId: 'demo-0002', mobile: `134${String(++seq).padStart(8, '0')}` });

beforeAll(async () => {
  deps = await createSeededDeps(10);
  app = testApp(deps);
  await seedStaff(deps);
});
afterAll(() => deps?.cleanup());

describe('evidence downloads', () => {
  it('are named <code>-<n>.<detected ext>, attachment + nosniff; the original names stay text in the case view', async () => {
    const png = await sharp({ create: { width: 20, height: 10, channels: 3, background: '#c33' } }).png().toBuffer();
    const names = ['photo.jpg', '张小明 身份证.pdf', 'x"; filename=evil.exe\u202E'];
    const res = await postMultipart(app, fields(), [
      { name: names[0]!, bytes: samplePdf() }, // a PDF called .jpg
      { name: names[1]!, bytes: png }, // a PNG called .pdf, with a child's name in it
      { name: names[2]!, bytes: samplePdf('three') },
    ]);
    expect(res.status).toBe(201);
    const { trackingCode, lead } = (await res.json()) as { trackingCode: string; lead: { code: string } };
    const staff = await logInAs(app, deps, `${lead.code}.handler`);

    const view = (await (await staff.get(`/api/admin/complaints/${trackingCode}`)).json()) as { attachments: { id: number; originalName: string; downloadName: string; mime: string }[] };
    expect(view.attachments.map((a) => [a.downloadName, a.mime])).toEqual([
      [`${trackingCode}-1.pdf`, 'application/pdf'],
      [`${trackingCode}-2.png`, 'image/png'],
      [`${trackingCode}-3.pdf`, 'application/pdf'],
    ]);
    expect(view.attachments.map((a) => a.originalName)).toEqual(['photo.jpg', '张小明 身份证.pdf', 'x"; filename=evil.exe']);

    for (const [i, a] of view.attachments.entries()) {
      const dl = await staff.get(`/api/admin/complaints/${trackingCode}/attachments/${a.id}`);
      expect(dl.status).toBe(200);
      expect(dl.headers.get('content-disposition')).toBe(`attachment; filename="${trackingCode}-${i + 1}.${a.mime === 'image/png' ? 'png' : 'pdf'}"`);
      expect(dl.headers.get('content-type')).toBe(a.mime);
      expect(dl.headers.get('x-content-type-options')).toBe('nosniff');
      await dl.arrayBuffer();
    }
  });
});

describe('PDFs are checked to be PDFs at intake', () => {
  const refused = async (bytes: Buffer, lang = 'zh-CN') => {
    const res = await postMultipart(app, fields(), [{ name: 'contract.pdf', bytes }], { 'accept-language': lang });
    expect(res.status).toBe(422);
    return expectErrorShape(422, await res.json()).issues;
  };

  it('a web page behind a %PDF- header → 422 at evidence.0', async () => {
    const html = Buffer.from('%PDF-1.7\n<html><script>alert(document.cookie)</script></html>\n%%EOF\n');
    expect(await refused(html)).toEqual([{ path: 'evidence.0', message: '这个文件不是完整的 PDF，可能已损坏；请重新导出或另存为 PDF 后上传' }]);
  });

  it('a truncated PDF (no %%EOF) → 422 at evidence.0, in English too', async () => {
    const pdf = samplePdf();
    expect(await refused(pdf.subarray(0, pdf.length - 12), 'en')).toEqual([
      { path: 'evidence.0', message: 'This file is not a complete PDF and may be damaged; export or save it as PDF again and upload it' },
    ]);
  });

  it('objects and %%EOF but no cross-reference table or stream → 422', async () => {
    expect(await refused(Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n'))).toHaveLength(1);
  });

  it('a PDF with a cross-reference stream instead of a table is accepted', async () => {
    const pdf = Buffer.from('%PDF-1.5\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n3 0 obj<</Type/XRef/Size 4/W[1 2 1]/Root 1 0 R/Length 0>>stream\n\nendstream\nendobj\nstartxref\n90\n%%EOF\n');
    expect((await postMultipart(app, fields(), [{ name: 'scan.pdf', bytes: pdf }])).status).toBe(201);
  });

  it('9 MB of digits behind a PDF header is refused (the structure check does not backtrack)', async () => {
    const digits = Buffer.concat([Buffer.from('%PDF-1.4\nxref\n'), Buffer.alloc(9 * 1024 * 1024, 0x31), Buffer.from(' obj\n%%EOF\n')]);
    expect(await refused(digits)).toHaveLength(1);
  });
});
