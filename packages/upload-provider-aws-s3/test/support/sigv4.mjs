import { timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { getSigningKey, SignatureV4 } from '@smithy/signature-v4';
import { CREDENTIALS, REGION } from './account.mjs';

// Plain JavaScript (types in sigv4.d.mts), so the TypeScript tests and the CLI's conformance module share it.
// s3rver accepts any SigV4 signature made with a known access key, so these checks are how the tests prove the
// provider's signatures are right: they recompute each one from the test credentials with @smithy/signature-v4
// (an implementation independent of the presigners the provider uses) and compare in constant time.

const AUTH_PARAMS = new Set([
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
  'X-Amz-Content-Sha256',
]);

function sameHex(a, b) {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `20261121T171500Z` as a Date. */
function parseAmzDate(value) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return new Date(Number.NaN);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/**
 * True when `url` is a GET presigned with the test credentials for exactly this host, path and query, and `now` is
 * within its lifetime. Any change to the path, a query parameter or the signature makes it false.
 */
export async function verifyPresignedUrl(url, now = new Date()) {
  const u = new URL(url);
  const q = u.searchParams;
  const signature = q.get('X-Amz-Signature');
  const date = parseAmzDate(q.get('X-Amz-Date') ?? '');
  const expires = Number(q.get('X-Amz-Expires'));
  if (!signature || Number.isNaN(date.getTime()) || !Number.isInteger(expires) || expires < 1) return false;
  if (now.getTime() > date.getTime() + expires * 1000) return false;

  const query = {};
  for (const [k, v] of q) if (!AUTH_PARAMS.has(k)) query[k] = v;
  const headers = { host: u.host };
  // The S3 presigner signs an unsigned payload and hoists that header into the query.
  if (q.has('X-Amz-Content-Sha256')) headers['X-Amz-Content-Sha256'] = q.get('X-Amz-Content-Sha256');
  const signer = new SignatureV4({
    credentials: CREDENTIALS,
    region: REGION,
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false,
  });
  const expected = await signer.presign(
    {
      method: 'GET',
      protocol: u.protocol,
      hostname: u.hostname,
      port: u.port ? Number(u.port) : undefined,
      path: u.pathname,
      query,
      headers,
    },
    { signingDate: date, expiresIn: expires },
  );
  const signed = expected.query ?? {};
  const recomputed = String(signed['X-Amz-Signature']);
  return sameHex(recomputed, signature) && signed['X-Amz-SignedHeaders'] === q.get('X-Amz-SignedHeaders');
}

/** True when the form's `X-Amz-Signature` is the SigV4 signature of its `Policy` under the test credentials. */
export async function verifyPostPolicy(fields) {
  const policy = fields.Policy;
  const signature = fields['X-Amz-Signature'];
  const date = fields['X-Amz-Date'];
  if (!policy || !signature || !date) return false;
  const key = await getSigningKey(Sha256, CREDENTIALS, date.slice(0, 8), REGION, 's3');
  const hmac = new Sha256(key);
  hmac.update(Buffer.from(policy, 'utf8'));
  const recomputed = Buffer.from(await hmac.digest()).toString('hex');
  return sameHex(recomputed, signature);
}
