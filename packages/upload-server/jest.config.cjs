const preset = require('../../jest.preset.cjs');
// @tus/server and what it imports are ESM only: compile them too.
const esmOnly = [
  'file-type',
  'strtok3',
  'token-types',
  'peek-readable',
  '@tokenizer',
  'uint8array-extras',
  '@borewit',
  '@tus',
  'srvx',
];
module.exports = {
  ...preset,
  transformIgnorePatterns: [`/node_modules/(?!(\\.pnpm/[^/]+/node_modules/)?(${esmOnly.join('|')})/)`],
};
