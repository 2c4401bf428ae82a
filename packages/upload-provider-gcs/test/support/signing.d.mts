import type { KeyObject } from 'node:crypto';

/**
 * A fake service account whose RSA key pair is made at test time: the provider signs with the private half (as it
 * would with a real key file) and the tests verify with the public half. No key is stored in the repository.
 */
export interface TestServiceAccount {
  credentials: { type: 'service_account'; project_id: string; client_email: string; private_key: string };
  publicKey: KeyObject;
}

export declare function makeServiceAccount(projectId: string): TestServiceAccount;

/** `20261121T172354Z` as a Date; NaN when it is not in that form. */
export declare function parseGoogDate(value: string): Date;

/** Checks a V4 signed GET URL the way Cloud Storage does (signature with the account's public key, then lifetime). */
export declare function verifyV4SignedUrl(
  url: string,
  account: Pick<TestServiceAccount, 'credentials' | 'publicKey'>,
  now?: Date,
): boolean;

/** The decoded POST policy of a direct upload, after checking its signature with the account's public key. */
export declare function verifyPostPolicy(
  fields: Record<string, string>,
  account: Pick<TestServiceAccount, 'credentials' | 'publicKey'>,
): { expiration: Date; conditions: unknown[] } | null;
