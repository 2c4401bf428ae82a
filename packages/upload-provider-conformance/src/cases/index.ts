// The suite's table of contents: every group, and what decides whether it runs.
import type { Capabilities, UploadProvider } from 'upload-provider';
import type { ConformanceOptions } from '../options.js';
import { concurrencyCases } from './concurrency.js';
import { contractCases } from './contract.js';
import { deleteCases } from './deletes.js';
import { directUploadCases } from './direct-uploads.js';
import { errorCases, uploadFailureCases } from './errors.js';
import { invalidOptionCases } from './invalid-options.js';
import { keyCases } from './keys.js';
import { metadataCases } from './metadata.js';
import { gate, merge, type Plan, type SuiteShape } from './plan.js';
import { rangeCases, statCases } from './reads.js';
import { resumableCases } from './resumable.js';
import { roundTripCases } from './round-trip.js';
import { privateCases, signedUrlCases } from './signed-urls.js';

export function planCases(
  options: ConformanceOptions<UploadProvider>,
  capabilities: Capabilities,
  isPrivate: boolean,
): Plan {
  const s = shapeOf(options, capabilities, isPrivate);
  const caps = s.capabilities;
  const extra = options.extraCases ?? [];
  return merge([
    contractCases(s),
    roundTripCases(s),
    uploadFailureCases(s),
    keyCases(s),
    concurrencyCases(s),
    metadataCases(s),
    deleteCases(s),
    errorCases(s),
    gate(caps.stat, 'stat', 'capability stat not declared', () => statCases(s)),
    gate(caps.rangeRead, 'ranges', 'capability rangeRead not declared', () => rangeCases(s)),
    signedUrlCases(s),
    gate(isPrivate, 'private', 'the provider is public', () =>
      gate(s.enforce.privateUrls, 'private', 'enforces.privateUrls is off', () => privateCases(s)),
    ),
    gate(caps.directUpload, 'direct uploads', 'capability directUpload not declared', () => directUploadCases(s)),
    gate(caps.resumable === true, 'resumable', 'capability resumable not declared', () => resumableCases(s)),
    gate(
      Boolean(options.factory && options.invalidOptions?.length),
      'options',
      'no factory and invalidOptions given',
      () => invalidOptionCases(s),
    ),
    { cases: extra as Plan['cases'], skipped: [] },
  ]);
}

function shapeOf(
  options: ConformanceOptions<UploadProvider>,
  capabilities: Capabilities,
  isPrivate: boolean,
): SuiteShape {
  return {
    options,
    capabilities,
    isPrivate,
    enforce: {
      signedUrls: true,
      directUploadPolicy: true,
      privateUrls: true,
      directUploadSize: true,
      atomicOverwrite: true,
      downloadName: true,
      ...options.enforces,
    },
    largeFileBytes: options.largeFileBytes ?? 8 * 1024 * 1024,
  };
}

export { ESCAPING_KEYS, HOSTILE_NAMES } from './names.js';
export type { Plan, SkippedCase } from './plan.js';
export { tamperSignature } from './urls.js';
