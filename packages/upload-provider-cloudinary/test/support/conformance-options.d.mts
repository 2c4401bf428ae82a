import type { ConformanceOptions } from 'upload-provider-conformance';
import type { CloudinaryOptions, CloudinaryProvider, cloudinaryProvider } from '../../src/index.js';

export type Delivery = 'upload' | 'authenticated' | 'private';

export declare const DELIVERIES: Delivery[];
export declare function conformanceOptions(
  factory: typeof cloudinaryProvider,
  delivery: Delivery,
  cloud: () => CloudinaryOptions,
): ConformanceOptions<CloudinaryProvider>;
