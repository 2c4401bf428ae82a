export { generatedStream, hashResponse, hashStream, sha256 } from './bytes.js';
export { ESCAPING_KEYS, HOSTILE_NAMES, tamperSignature } from './cases.js';
export { describeProviderConformance } from './jest.js';
export type { CaseContext, ConformanceCase, ConformanceOptions, Enforcement, InvalidOptionsCase } from './options.js';
export { decodePostPolicy, type PolicyConstraints } from './policy.js';
export { type CaseResult, casesFor, inspectProvider, runCase, runConformance, selectCases } from './runner.js';
