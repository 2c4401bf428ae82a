export { describeProviderConformance } from './bindings/globals.js';
export { generatedStream, hashResponse, hashStream, sha256 } from './bytes.js';
export { ESCAPING_KEYS, HOSTILE_NAMES, type Plan, type SkippedCase, tamperSignature } from './cases/index.js';
export type { GroupSummary, Summary } from './cli/summary.js';
export { type CliRun, plannedVerdict, runConformanceCli, type Verdict, verdictOf } from './cli/verdict.js';
export type {
  CaseContext,
  ConformanceCase,
  ConformanceFactory,
  ConformanceOptions,
  Enforcement,
  InvalidOptionsCase,
} from './options.js';
export { decodePostPolicy, type PolicyConstraints } from './policy.js';
export {
  type CaseResult,
  casesFor,
  type DeclaredShape,
  inspectProvider,
  makeProvider,
  planConformance,
  runCase,
  runConformance,
  selectCases,
} from './runner.js';
export { bindRunner, type TestRunner } from './suite.js';
