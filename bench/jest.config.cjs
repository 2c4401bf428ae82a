// The Cloudinary benchmark runs under Jest (it reuses that package's test support); never part of `pnpm test`.
module.exports = {
  ...require('../jest.preset.cjs'),
  rootDir: __dirname,
  testMatch: ['<rootDir>/*.bench.ts'],
  testTimeout: 600_000,
};
