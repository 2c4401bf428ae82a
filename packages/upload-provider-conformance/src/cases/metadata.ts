import assert from 'node:assert/strict';
import { group, type Plan, type SuiteShape } from './plan.js';
import { upload } from './upload.js';
import { servingUrl } from './urls.js';

const DOWNLOAD_NAME = 'Quarterly report é.txt';

export function metadataCases(s: SuiteShape): Plan {
  const g = group('metadata');
  const caps = s.capabilities;

  g.when(
    caps.contentType,
    'capability contentType not declared',
    'the content type given at upload is served back',
    async (ctx) => {
      const stored = await upload(ctx, Buffer.from('{"a":1}'), {
        key: ctx.key('data.json'),
        mime: 'application/json',
        name: 'data.json',
      });
      assert.equal(stored.mime, 'application/json');
      const res = await ctx.fetch(await servingUrl(ctx, stored));
      await res.body?.cancel();
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/, 'Content-Type served');
      if (caps.stat)
        assert.equal((await ctx.provider.stat!(stored))?.mime?.split(';')[0], 'application/json', 'stat().mime');
    },
  );

  if (!caps.downloadName) {
    g.skip('signUrl with a download name serves it as an attachment', 'capability downloadName not declared');
  } else if (s.enforce.downloadName) {
    g.test('signUrl with a download name serves it as an attachment under that name', async (ctx) => {
      const stored = await upload(ctx, Buffer.from('report'), { key: ctx.key('r.txt'), mime: 'text/plain' });
      const { url } = await ctx.provider.signUrl(stored, { downloadName: DOWNLOAD_NAME, expiresIn: 120 });
      const res = await ctx.fetch(url);
      await res.body?.cancel();
      assert.equal(res.status, 200);
      const cd = res.headers.get('content-disposition') ?? '';
      assert.match(cd, /^attachment/i, 'Content-Disposition is attachment');
      assert.ok(
        cd.includes('Quarterly') || cd.includes('Quarterly%20report'),
        `Content-Disposition names the file: ${cd}`,
      );
    });
  } else {
    // The backend under test ignores the request (an emulator): the signed URL itself must ask for the attachment.
    g.test('signUrl with a download name signs a URL that asks for an attachment under that name', async (ctx) => {
      const stored = await upload(ctx, Buffer.from('report'), { key: ctx.key('r.txt'), mime: 'text/plain' });
      const { url } = await ctx.provider.signUrl(stored, { downloadName: DOWNLOAD_NAME, expiresIn: 120 });
      const res = await ctx.fetch(url);
      await res.body?.cancel();
      assert.equal(res.status, 200);
      const asked = [...new URL(url).searchParams.values()].join('\n');
      assert.ok(
        /attachment/i.test(asked) && asked.includes('Quarterly'),
        `the signed URL asks for an attachment named after the file: ${url}`,
      );
      if (ctx.options.enforces?.signedUrls === false)
        assert.equal(await ctx.options.verifySignedUrl!(url, new Date()), true, 'the signature covers the name');
    });
  }

  return g.plan;
}
