import { MIME_FAMILY } from './checks.js';
import type { DirectUploadRequest } from './types.js';

/** What an S3-style POST policy (S3, GCS V4) needs to pin a direct upload's type and size. */
export interface PostPolicyTerms {
  /** Form fields the client must send unchanged: `Content-Type` for an exact type. */
  fields: Record<string, string>;
  /** `content-length-range` from `minSize` to `maxSize`, and a `starts-with` on `$Content-Type` for a family. */
  conditions: [string, string | number, string | number][];
}

/**
 * The policy terms for a direct-upload request the core has checked. An exact type is a field; a family
 * (`image/*`) or any type cannot be one, since the browser sends the file's own `Content-Type`, so it becomes a
 * `starts-with` condition that the file's type must meet.
 */
export function postPolicyTerms(req: DirectUploadRequest): PostPolicyTerms {
  const family = MIME_FAMILY.exec(req.mime);
  const anyType = req.mime === '*/*';
  const conditions: PostPolicyTerms['conditions'] = [['content-length-range', req.minSize ?? 0, req.maxSize]];
  if (family) conditions.push(['starts-with', '$Content-Type', family[1]!]);
  if (anyType) conditions.push(['starts-with', '$Content-Type', '']);
  return { fields: family || anyType ? {} : { 'Content-Type': req.mime }, conditions };
}
