export declare const CREDENTIALS: { readonly accessKeyId: 'S3RVER'; readonly secretAccessKey: 'S3RVER' };
export declare const REGION = 'us-east-1';
