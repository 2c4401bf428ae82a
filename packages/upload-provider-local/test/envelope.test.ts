import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Harness, multipartBody, type RawResponse, rawRequest, startHarness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ private: true });
  await h.provider.upload({ key: 'a.txt', body: Buffer.from('abc'), mime: 'text/plain', name: 'a.txt' });
});
afterAll(() => h.close());

/** The server's error body (upload-server `errors.ts`): Strapi's `{ data: null, error: { status, name, ... } }`. */
function expectEnvelope(res: RawResponse, status: number, name: string, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  const body = JSON.parse(res.body.toString());
  expect(body).toEqual({
    data: null,
    error: { status, name, message: expect.any(String), details: { code } },
  });
  expect(body.error.message.length).toBeGreaterThan(0);
}

describe("the handler's error answers", () => {
  it('are in the error envelope with the status, the Strapi name and the code, for every kind of refusal', async () => {
    const signed = new URL((await h.provider.signUrl({ key: 'a.txt' })).url);
    const forged = new URL(signed);
    forged.searchParams.set('signature', 'A'.repeat(43));
    const { body, contentType } = multipartBody([{ name: 'policy', value: 'p' }]);
    const cases: Array<[string, Promise<RawResponse>, number, string, string]> = [
      ['bad path', rawRequest(h.origin, '/uploads/%'), 400, 'ValidationError', 'INVALID_INPUT'],
      ['forged', rawRequest(h.origin, forged.pathname + forged.search), 403, 'ForbiddenError', 'ACCESS_DENIED'],
      ['private', rawRequest(h.origin, '/uploads/a.txt'), 404, 'NotFoundError', 'NOT_FOUND'],
      [
        'method',
        rawRequest(h.origin, '/uploads/a.txt', { method: 'PUT' }),
        405,
        'MethodNotAllowedError',
        'METHOD_NOT_ALLOWED',
      ],
      [
        'range',
        rawRequest(h.origin, signed.pathname + signed.search, { headers: { Range: 'bytes=10-' } }),
        416,
        'ApplicationError',
        'INVALID_INPUT',
      ],
      [
        'not a form',
        rawRequest(h.origin, '/uploads', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' }),
        415,
        'UnsupportedMediaTypeError',
        'INVALID_INPUT',
      ],
      [
        'no policy',
        rawRequest(h.origin, '/uploads', { method: 'POST', headers: { 'Content-Type': contentType }, body }),
        400,
        'ValidationError',
        'INVALID_INPUT',
      ],
    ];
    for (const [what, answer, status, name, code] of cases) {
      const res = await answer;
      expect([what, res.status]).toEqual([what, status]);
      expectEnvelope(res, status, name, code);
    }
  });
});

describe('every answer carries X-Content-Type-Options: nosniff', () => {
  it('errors, files, 304s, preflights and direct-upload answers', async () => {
    const signed = new URL((await h.provider.signUrl({ key: 'a.txt' })).url);
    const file = await rawRequest(h.origin, signed.pathname + signed.search);
    const du = await h.provider.createDirectUpload({ key: 'n.txt', mime: 'text/plain', maxSize: 10 });
    const form = multipartBody([
      ...Object.entries(du.fields).map(([name, value]) => ({ name, value })),
      { name: 'file', value: 'x', filename: 'n.txt', type: 'text/plain' },
    ]);
    const answers = {
      file,
      notModified: await rawRequest(h.origin, signed.pathname + signed.search, {
        headers: { 'If-None-Match': String(file.headers.etag) },
      }),
      preflight: await rawRequest(h.origin, '/uploads', { method: 'OPTIONS' }),
      created: await rawRequest(h.origin, '/uploads', {
        method: 'POST',
        headers: { 'Content-Type': form.contentType },
        body: form.body,
      }),
      notFound: await rawRequest(h.origin, '/uploads/a.txt'),
      refused: await rawRequest(h.origin, '/uploads', { method: 'POST', headers: { 'Content-Type': 'text/plain' } }),
    };
    expect(
      Object.entries(answers).map(([what, res]) => [what, res.status, res.headers['x-content-type-options']]),
    ).toEqual([
      ['file', 200, 'nosniff'],
      ['notModified', 304, 'nosniff'],
      ['preflight', 204, 'nosniff'],
      ['created', 201, 'nosniff'],
      ['notFound', 404, 'nosniff'],
      ['refused', 415, 'nosniff'],
    ]);
  });
});
