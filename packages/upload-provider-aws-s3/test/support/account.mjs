// Plain JavaScript, so the TypeScript tests and the CLI's conformance module (run by plain `node`) share one copy.

/** s3rver's built-in account; it refuses any other access key (but does not check SigV4 signatures). */
export const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const REGION = 'us-east-1';
