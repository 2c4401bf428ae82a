import type { DirectUpload } from 'upload-provider';

/** What a standard POST policy (S3, GCS) allows, read from its conditions. */
export interface PolicyConstraints {
  expiration: Date;
  /** `[min, max]` from `content-length-range`, when present. */
  contentLength?: [number, number];
  /** Exact key (`eq` or `{ key }`), or a prefix (`starts-with`). */
  key?: { exact?: string; prefix?: string };
  contentType?: { exact?: string; prefix?: string };
  raw: unknown;
}

const KEY_FIELDS = new Set(['$key', 'key']);
const TYPE_FIELDS = new Set(['$content-type', 'content-type']);

/** Finds the policy among the form fields (case-insensitively) and decodes it; throws when there is none. */
export function decodePostPolicy(upload: Pick<DirectUpload, 'fields'>): PolicyConstraints {
  const entry = Object.entries(upload.fields).find(([name]) => name.toLowerCase() === 'policy');
  if (!entry) throw new Error('the direct upload has no `policy` field to check');
  const json = JSON.parse(Buffer.from(entry[1], 'base64').toString('utf8')) as {
    expiration: string;
    conditions: unknown[];
  };
  const out: PolicyConstraints = { expiration: new Date(json.expiration), raw: json };
  for (const cond of json.conditions ?? []) {
    if (Array.isArray(cond)) {
      const [op, a, b] = cond as [string, unknown, unknown];
      const field = String(a).toLowerCase();
      if (String(op).toLowerCase() === 'content-length-range') out.contentLength = [Number(a), Number(b)];
      else if (KEY_FIELDS.has(field)) out.key = op === 'eq' ? { exact: String(b) } : { prefix: String(b) };
      else if (TYPE_FIELDS.has(field)) out.contentType = op === 'eq' ? { exact: String(b) } : { prefix: String(b) };
    } else if (cond && typeof cond === 'object') {
      for (const [k, v] of Object.entries(cond)) {
        const field = k.toLowerCase();
        if (KEY_FIELDS.has(field)) out.key = { exact: String(v) };
        else if (TYPE_FIELDS.has(field)) out.contentType = { exact: String(v) };
      }
    }
  }
  return out;
}
