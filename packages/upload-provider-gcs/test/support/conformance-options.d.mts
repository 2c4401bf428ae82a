import type { ConformanceOptions } from 'upload-provider-conformance';
import type { GcsProvider, GcsProviderOptions, gcsProvider } from '../../src/index.js';
import type { TestServiceAccount } from './signing.mjs';

export interface Mode {
  name: string;
  private: boolean;
  options: Partial<GcsProviderOptions>;
}

export declare const BUCKET: string;
export declare const MODES: { private: Mode; public: Mode };
export declare function conformanceOptions(
  factory: typeof gcsProvider,
  mode: Mode,
  at: { account: TestServiceAccount; baseUrl: () => string },
): ConformanceOptions<GcsProvider>;
