import type { ConformanceOptions } from 'upload-provider-conformance';
import type { AwsS3Provider, AwsS3ProviderOptions, awsS3Provider } from '../../src/index.js';

export interface Mode {
  name: string;
  private: boolean;
  options: Partial<AwsS3ProviderOptions>;
}

export declare const BUCKET: string;
export declare const MODES: { private: Mode; public: Mode };
export declare function conformanceOptions(
  factory: typeof awsS3Provider,
  mode: Mode,
  endpoint: () => string,
): ConformanceOptions<AwsS3Provider>;
