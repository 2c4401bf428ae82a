/**
 * When a signed URL stops working, read from the parameters each storage writes into it: the local provider's
 * `expires` (epoch milliseconds), S3's `X-Amz-Date` + `X-Amz-Expires`, Google's `X-Goog-Date` + `X-Goog-Expires`,
 * a plain `Expires` (epoch seconds, as GCS V2 and CloudFront) or Cloudinary's `expires_at`. Undefined when the URL names none of them.
 */
export function signedUrlExpiry(url: string): Date | undefined {
  let params: URLSearchParams;
  try {
    params = new URL(url, window.location.href).searchParams;
  } catch {
    return undefined;
  }
  const local = params.get('expires');
  if (local && /^\d{12,16}$/.test(local)) return new Date(Number(local));
  for (const vendor of ['Amz', 'Goog']) {
    const date = params.get(`X-${vendor}-Date`);
    const seconds = params.get(`X-${vendor}-Expires`);
    const match = date && /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
    if (match && seconds && /^\d+$/.test(seconds)) {
      const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
      return new Date(Date.UTC(y, mo - 1, d, h, mi, s) + Number(seconds) * 1000);
    }
  }
  const plain = params.get('Expires') ?? params.get('expires_at');
  if (plain && /^\d{9,11}$/.test(plain)) return new Date(Number(plain) * 1000);
  return undefined;
}
