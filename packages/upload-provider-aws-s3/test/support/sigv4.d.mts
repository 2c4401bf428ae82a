/**
 * True when `url` is a GET presigned with the test credentials for exactly this host, path and query, and `now` is
 * within its lifetime. Any change to the path, a query parameter or the signature makes it false.
 */
export declare function verifyPresignedUrl(url: string, now?: Date): Promise<boolean>;

/** True when the form's `X-Amz-Signature` is the SigV4 signature of its `Policy` under the test credentials. */
export declare function verifyPostPolicy(fields: Record<string, string>): Promise<boolean>;
