// readUploadForm on its own, over a real node:http server and a real client socket: what the rest of the pipeline
// sees when a client goes away in the middle of a form.
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { FastifyRequest } from 'fastify';
import { readUploadForm } from '../src/http/form.js';
import type { StagedFile, Uploads } from '../src/uploads/index.js';

let server: Server;
let url: string;
let outcome: Promise<unknown>;
const discarded: string[] = [];

/** A pipeline that reads each file to its end (as the sniffing and the storage do) and stages nothing real. */
const uploads = {
  async stage(input: { stream: AsyncIterable<Buffer>; filename: string }) {
    for await (const _ of input.stream);
    return { filename: input.filename } as unknown as StagedFile;
  },
  async discard(staged: StagedFile) {
    discarded.push(staged.filename);
  },
} as unknown as Uploads;

beforeAll(async () => {
  server = createServer((req: IncomingMessage) => {
    const fastifyLike = { headers: req.headers, raw: req } as unknown as FastifyRequest;
    outcome = readUploadForm(
      fastifyLike,
      { uploads, config: { sizeLimit: 1024 * 1024 } },
      {
        signal: new AbortController().signal,
      },
    );
    outcome.catch(() => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends `parts` of a form that claims 100,000 bytes, then destroys the socket. */
async function goAwayAfter(...parts: string[]) {
  const req = request(url, {
    method: 'POST',
    headers: { 'content-type': 'multipart/form-data; boundary=XX', 'content-length': '100000' },
  });
  req.on('error', () => undefined);
  for (const part of parts) req.write(part);
  await new Promise((resolve) => setTimeout(resolve, 100));
  req.destroy();
}

const filePart = (name: string, bytes: number) =>
  `--XX\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\n` +
  `Content-Type: application/octet-stream\r\n\r\n${'a'.repeat(bytes)}`;

test('a client gone in the middle of a file: the file being read fails, the form is refused', async () => {
  await goAwayAfter(filePart('first.bin', 1000));
  await expect(outcome).rejects.toMatchObject({
    status: 400,
    message: expect.stringMatching(/closed the connection before the end of the form/),
  });
});

test('a client gone in the middle of the second file: the first, staged, is discarded', async () => {
  discarded.length = 0;
  await goAwayAfter(`${filePart('first.bin', 10)}\r\n`, filePart('second.bin', 1000));
  await expect(outcome).rejects.toMatchObject({ status: 400 });
  expect(discarded).toEqual(['first.bin']);
});
