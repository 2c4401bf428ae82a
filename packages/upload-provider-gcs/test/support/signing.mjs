// Plain JavaScript (types in signing.d.mts), so the TypeScript tests and the CLI's conformance module share it.
import { createHash, generateKeyPairSync, verify } from 'node:crypto';

/**
 * A fake service account whose RSA key pair is made at test time: the provider signs with the private half (as it
 * would with a real key file) and the tests verify with the public half. No key is stored in the repository.
 */
export function makeServiceAccount(projectId) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    credentials: {
      type: 'service_account',
      project_id: projectId,
      client_email: `uploader@${projectId}.iam.gserviceaccount.com`,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    },
    publicKey,
  };
}

/** RFC 3986 percent-encoding, as GCS's V4 canonical query string asks (unreserved characters kept). */
function encode(value) {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `20261121T172354Z` as a Date; NaN when it is not in that form. */
export function parseGoogDate(value) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return new Date(Number.NaN);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

const MAX_EXPIRES = 7 * 24 * 60 * 60;

/**
 * Checks a V4 signed GET URL the way Cloud Storage does, with our own code (the emulator ignores signatures):
 * canonical request → string to sign → RSA-SHA256 verification with the service account's public key; then the
 * lifetime from X-Goog-Date and X-Goog-Expires against `now`.
 *
 * The canonical `host` header is the URL's hostname without a port, which is what the SDK signs and what the Host
 * header of storage.googleapis.com carries; the emulator is the only host here with a port.
 */
export function verifyV4SignedUrl(url, account, now = new Date()) {
  const u = new URL(url);
  const q = u.searchParams;
  const algorithm = q.get('X-Goog-Algorithm');
  const credential = q.get('X-Goog-Credential');
  const date = q.get('X-Goog-Date');
  const expires = q.get('X-Goog-Expires');
  const signedHeaders = q.get('X-Goog-SignedHeaders');
  const signature = q.get('X-Goog-Signature');
  if (algorithm !== 'GOOG4-RSA-SHA256' || !credential || !date || !expires || !signedHeaders || !signature)
    return false;
  // Only `host` can be checked from a URL alone; a URL that needs other headers is not one we make.
  if (signedHeaders !== 'host') return false;
  const [email, ...scopeParts] = credential.split('/');
  const scope = scopeParts.join('/');
  if (email !== account.credentials.client_email) return false;
  if (scope !== `${date.slice(0, 8)}/auto/storage/goog4_request`) return false;

  const query = [...q.entries()]
    .filter(([k]) => k !== 'X-Goog-Signature')
    .map(([k, v]) => [encode(k), encode(v)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = ['GET', u.pathname, query, `host:${u.hostname}\n`, 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const stringToSign = [
    'GOOG4-RSA-SHA256',
    date,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  if (!/^[0-9a-f]+$/.test(signature) || signature.length % 2 !== 0) return false;
  // RSA verification recomputes the padded digest inside OpenSSL; there is no secret byte comparison to time.
  const valid = verify('RSA-SHA256', Buffer.from(stringToSign), account.publicKey, Buffer.from(signature, 'hex'));
  if (!valid) return false;

  const signedAt = parseGoogDate(date).getTime();
  const lifetime = Number(expires);
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_EXPIRES || Number.isNaN(signedAt)) return false;
  return now.getTime() >= signedAt && now.getTime() < signedAt + lifetime * 1000;
}

/** The decoded POST policy of a direct upload, after checking its signature with the account's public key. */
export function verifyPostPolicy(fields, account) {
  const policy = fields.policy;
  const signature = fields['x-goog-signature'];
  if (!policy || !signature || fields['x-goog-algorithm'] !== 'GOOG4-RSA-SHA256') return null;
  if (!fields['x-goog-credential']?.startsWith(`${account.credentials.client_email}/`)) return null;
  if (!verify('RSA-SHA256', Buffer.from(policy), account.publicKey, Buffer.from(signature, 'hex'))) return null;
  const decoded = JSON.parse(Buffer.from(policy, 'base64').toString('utf8'));
  return { expiration: new Date(decoded.expiration), conditions: decoded.conditions };
}
