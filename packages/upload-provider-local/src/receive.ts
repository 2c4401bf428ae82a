import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { LocalInternals } from './internals.js';
import { HttpError, sendJson } from './respond.js';
import { decodePolicy, mimeAllowed, type UploadPolicy, verifyPolicy } from './signing.js';

/**
 * What a form may hold besides its file: a policy, its signature, the key and a type fit easily. `parts` bounds what
 * busboy skips without a word (parts with no Content-Disposition), so no body is read on and on for nothing.
 */
const LIMITS = { fieldSize: 64 * 1024, fields: 64, files: 1, parts: 128 } as const;

/**
 * Reads one signed form POST with busboy: fields, then the file, streamed to disk and checked against every policy
 * condition. Rejects only once nothing of a refused upload is left on disk; the caller answers and drains the rest.
 */
export async function receiveUpload(internals: LocalInternals, req: IncomingMessage, res: ServerResponse) {
  const secret = internals.secret;
  if (secret === undefined) {
    throw new HttpError(403, 'ACCESS_DENIED', 'direct uploads are off: the provider has no "secret" to sign policies');
  }
  const parser = openParser(req);
  const stored = await new Promise<{ key: string; size: number; mime: string }>((resolve, reject) => {
    const fields = new Map<string, string>();
    let writing: Promise<unknown> | undefined;
    let settled = false;
    const settle = (error: unknown, value?: { key: string; size: number; mime: string }) => {
      if (settled) return;
      settled = true;
      req.off('close', onClose);
      req.unpipe(parser);
      if (error !== undefined) parser.destroy();
      // A write in progress fails with the parser, removing its temporary file: answer only after that.
      void (writing ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => (error === undefined ? resolve(value!) : reject(error)));
    };
    // The client hung up mid-body: nothing more will come, and the partial file must go.
    const onClose = () => {
      if (!req.readableEnded) settle(new HttpError(400, 'ABORTED', 'the client closed the connection mid-upload'));
    };

    parser.on('field', (name: string | undefined, value, info) => {
      if (writing) return; // what follows the file is not ours to read
      if (!name) return settle(new HttpError(400, 'INVALID_INPUT', 'a multipart part has no Content-Disposition name'));
      if (info.valueTruncated) {
        return settle(
          new HttpError(413, 'TOO_LARGE', `the form field "${name}" is larger than ${LIMITS.fieldSize} bytes`),
        );
      }
      if (fields.has(name))
        return settle(new HttpError(400, 'INVALID_INPUT', `the form field "${name}" appears twice`));
      fields.set(name, value);
    });
    parser.on('fieldsLimit', () =>
      settle(new HttpError(400, 'INVALID_INPUT', `the form has more than ${LIMITS.fields} fields`)),
    );
    parser.on('partsLimit', () =>
      settle(new HttpError(400, 'INVALID_INPUT', `the form has more than ${LIMITS.parts} parts`)),
    );
    parser.on('file', (name: string | undefined, stream: Readable, info) => {
      // Destroying the parser fails this stream too; the write (if any) sees that through its pipeline.
      stream.on('error', () => undefined);
      let policy: UploadPolicy;
      let mime: string;
      let objectName: string;
      try {
        if (name !== 'file') {
          const given = name ?? '';
          throw new HttpError(400, 'INVALID_INPUT', `the file must be sent in the form field "file", not "${given}"`);
        }
        policy = checkPolicy(secret, fields);
        mime = [...fields].find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? info.mimeType;
        if (!mimeAllowed(policy.mime, mime)) {
          throw new HttpError(415, 'INVALID_INPUT', `this upload allows only ${policy.mime}; the file is ${mime}`);
        }
        objectName = internals.store.objectName(policy.key);
      } catch (error) {
        stream.resume();
        return settle(error);
      }
      internals.debug('direct upload', { key: objectName, maxSize: policy.maxSize });
      const write = internals.store.write(objectName, stream, {
        maxBytes: policy.maxSize,
        minBytes: policy.minSize,
        meta: { key: objectName, mime, name: policy.name ?? info.filename },
      });
      writing = write;
      write.then((stats) => settle(undefined, { key: policy.key, size: stats.size, mime }), settle);
    });
    parser.on('error', (error: Error) => settle(parserError(error)));
    parser.on('close', () => {
      if (!writing) settle(new HttpError(400, 'INVALID_INPUT', 'the form has no "file" part (it must come last)'));
    });
    req.on('close', onClose);
    req.on('error', () => undefined); // an aborted request: seen through 'close'
    req.pipe(parser);
  });
  // The file is stored; whatever follows it in the body is not ours to read.
  if (!req.readableEnded) req.resume();
  sendJson(res, 201, JSON.stringify(stored));
}

/** A busboy parser for a multipart/form-data body; 415 for anything else (busboy would also take url-encoded forms). */
function openParser(req: IncomingMessage): busboy.Busboy {
  if (/^multipart\/form-data\s*;/i.test(req.headers['content-type'] ?? '')) {
    try {
      // defParamCharset: browsers send file names as raw UTF-8, which busboy would otherwise read as Latin-1.
      return busboy({ headers: req.headers, limits: LIMITS, defParamCharset: 'utf8' });
    } catch {
      // no boundary: answered below
    }
  }
  throw new HttpError(415, 'INVALID_INPUT', 'a direct upload must be a multipart/form-data POST with a boundary');
}

/** busboy's errors, as messages that say what went wrong with the body. */
function parserError(error: Error): HttpError {
  if (/unexpected end/i.test(error.message)) {
    return new HttpError(400, 'INVALID_INPUT', 'the multipart body ended early (was the upload interrupted?)');
  }
  return new HttpError(400, 'INVALID_INPUT', `the multipart body is malformed: ${error.message}`);
}

/** Every condition that can be checked before the file's bytes arrive. */
function checkPolicy(secret: string, fields: Map<string, string>): UploadPolicy {
  const encoded = fields.get('policy');
  const signature = fields.get('signature');
  if (!encoded || !signature) {
    throw new HttpError(400, 'INVALID_INPUT', 'the form needs the "policy" and "signature" fields before the file');
  }
  if (!verifyPolicy(secret, encoded, signature)) {
    throw new HttpError(403, 'ACCESS_DENIED', 'the upload policy does not match its signature');
  }
  const policy = decodePolicy(encoded);
  if (!policy) throw new HttpError(403, 'ACCESS_DENIED', 'the upload policy is not one this server issues');
  if (Date.now() >= policy.expires) {
    throw new HttpError(403, 'ACCESS_DENIED', `the upload policy expired at ${new Date(policy.expires).toISOString()}`);
  }
  const key = fields.get('key');
  if (key !== undefined && key !== policy.key) {
    throw new HttpError(403, 'ACCESS_DENIED', `this upload may only write the key ${JSON.stringify(policy.key)}`);
  }
  return policy;
}
