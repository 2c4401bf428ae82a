export {
  checkMime,
  essence,
  isInlineSafe,
  isScriptable,
  type MimeCheck,
  type MimeLists,
  matchesPattern,
  resolveMime,
} from './policy.js';
export { detect, SNIFF_BYTES, type SniffResult, sniffStream } from './sniff.js';
