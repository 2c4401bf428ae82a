import { Readable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type/core';
import { detectText } from './text.js';

/**
 * How many bytes are read before deciding: file-type's own sample size (`reasonableDetectionSizeInBytes`), which is
 * also enough for the text heuristics to get past an XML prolog, a doctype and a few comments.
 */
export const SNIFF_BYTES = 4100;

export interface SniffResult {
  /** The type the bytes show, e.g. `image/png`; `application/octet-stream` when they show nothing known. */
  mime: string;
  /** The usual extension for `mime` without its dot (`png`), or null when there is none. */
  ext: string | null;
  /** The whole body again: the bytes read to decide, then the rest of `source`, unbuffered. */
  stream: Readable;
  /** Bytes held back to decide (at most {@link SNIFF_BYTES} plus one chunk of `source`). */
  headBytes: number;
}

interface Head {
  chunks: Buffer[];
  length: number;
  ended: boolean;
}

/** Reads from `source` until `size` bytes or its end, then leaves it paused with its remaining data unread. */
function readHead(source: Readable, size: number): Promise<Head> {
  return new Promise((resolve, reject) => {
    const head: Head = { chunks: [], length: 0, ended: false };
    // Its events are in the past: an ended stream is empty, a destroyed one will never say anything again.
    if (source.readableEnded) {
      head.ended = true;
      resolve(head);
      return;
    }
    if (source.destroyed) {
      reject(source.errored ?? new Error('the upload stream was closed before it was read'));
      return;
    }
    const done = (error?: unknown) => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      source.off('close', onClose);
      if (error) reject(error);
      else resolve(head);
    };
    const onData = (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      head.chunks.push(buffer);
      head.length += buffer.length;
      if (head.length >= size) {
        source.pause();
        done();
      }
    };
    const onEnd = () => {
      head.ended = true;
      done();
    };
    const onError = (error: unknown) => done(error);
    // A source destroyed without an error (an aborted request) never ends: say so rather than hang.
    const onClose = () => {
      if (!head.ended) done(source.errored ?? new Error('the upload stream closed before it ended'));
    };
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', onError);
    source.once('close', onClose);
  });
}

/**
 * Decides a body's type from its first bytes, by magic numbers (file-type) and then text heuristics for what
 * file-type does not know (SVG, HTML, XML, JSON, CSV, plain text). Only the head is held in memory; the returned
 * `stream` replays it and then pulls the rest from `source` as it is read, so memory does not grow with the file.
 * Rejects when `source` fails before the head is read.
 */
export async function sniffStream(source: Readable): Promise<SniffResult> {
  const head = await readHead(source, SNIFF_BYTES);
  const headBuffer = Buffer.concat(head.chunks, head.length);
  const { mime, ext } = await detect(headBuffer.subarray(0, SNIFF_BYTES), head.ended && head.length <= SNIFF_BYTES);

  // Until the consumer starts reading, an error on the source would otherwise be an unhandled 'error' event;
  // whoever reads the returned stream still sees it (the stream is errored), so nothing is lost.
  source.on('error', noop);
  return { mime, ext, stream: replay(source, head, headBuffer), headBytes: headBuffer.length };
}

/** The whole body again: the head put back in front of what `source` has not delivered yet. */
function replay(source: Readable, head: Head, headBuffer: Buffer): Readable {
  // A body that fit in the chunks read may have ended since (its 'end' came after the head): nothing left to read.
  if (head.ended || source.readableEnded) {
    return Readable.from(headBuffer.length > 0 ? [headBuffer] : [], { objectMode: false });
  }
  // A byte stream takes its head back and is read on as it is: no copy, no extra stream per chunk.
  if (!source.readableObjectMode && source.readableEncoding === null) {
    source.unshift(headBuffer);
    return source;
  }
  async function* chunks() {
    yield headBuffer;
    yield* source;
  }
  const stream = Readable.from(chunks(), { objectMode: false });
  // Destroying the returned stream (an aborted upload) must release the source too.
  stream.once('close', () => {
    if (!source.destroyed && !source.readableEnded) source.destroy();
  });
  return stream;
}

function noop(): void {}

function hasBom(head: Uint8Array): boolean {
  return (
    (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) ||
    (head[0] === 0xff && head[1] === 0xfe) ||
    (head[0] === 0xfe && head[1] === 0xff)
  );
}

/** The type of a complete head (`complete` when the head is the whole body). */
export async function detect(head: Uint8Array, complete: boolean): Promise<{ mime: string; ext: string | null }> {
  if (head.length === 0) return { mime: 'application/octet-stream', ext: null };
  // A byte-order mark means text: a UTF-16 BOM (FF FE) would otherwise pass for an MPEG audio frame header.
  if (hasBom(head)) {
    const text = detectText(head, complete);
    if (text) return text;
  }
  // A parser failing on hostile bytes must not fail the upload: such a body is simply of no known type.
  const magic = await fileTypeFromBuffer(head).catch(() => undefined);
  // file-type reports any `<?xml` document as application/xml; the text heuristics look inside for SVG or XHTML.
  if (magic && magic.mime !== 'application/xml') return { mime: magic.mime, ext: magic.ext };
  const text = detectText(head, complete);
  if (text) return text;
  if (magic) return { mime: magic.mime, ext: magic.ext };
  return { mime: 'application/octet-stream', ext: null };
}
