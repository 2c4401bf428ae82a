// Runs in a plain Node process, as Strapi runs providers: requires the built CommonJS module and prints what one
// scenario observed as JSON. (Jest's module sandbox cannot run the module's `import()` of the ES-module providers.)
const { createHash, randomBytes } = require('node:crypto');
const { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { Readable } = require('node:stream');
const strapiModule = require('../../dist/strapi/index.cjs');

const dir = mkdtempSync(join(tmpdir(), 'strapi-module-'));
const sha = (b) => createHash('sha256').update(b).digest('hex');

function strapiFile(bytes, extra = {}) {
  const filepath = join(dir, `upload_${randomBytes(4).toString('hex')}`);
  writeFileSync(filepath, bytes);
  return {
    name: 'photo.jpg',
    hash: `photo_${randomBytes(5).toString('hex')}`,
    ext: '.jpg',
    mime: 'image/jpeg',
    size: Math.round(bytes.length / 10) / 100,
    filepath,
    stream: Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]),
    ...extra,
  };
}

const scenarios = {
  async stream() {
    const root = join(dir, 'public-uploads');
    const provider = strapiModule.init({ provider: 'local', options: { root, baseUrl: '/uploads' } });
    const bytes = randomBytes(50_000);
    const file = strapiFile(bytes, { path: 'album' });
    await provider.uploadStream(file);
    const onDisk = join(root, 'album', `${file.hash}.jpg`);
    const result = {
      hash: file.hash,
      key: file.provider_metadata.key,
      url: file.url,
      sameBytes: sha(readFileSync(onDisk)) === sha(bytes),
      isPrivate: await provider.isPrivate(),
      signed: await provider.getSignedUrl(file),
    };
    await provider.delete(file);
    return { ...result, existsAfterDelete: existsSync(onDisk) };
  },
  async private() {
    const provider = strapiModule.init({
      provider: 'local',
      options: {
        root: join(dir, 'private'),
        baseUrl: 'http://127.0.0.1:1/uploads',
        private: true,
        secret: 'x'.repeat(40),
      },
      urlExpiresIn: 120,
    });
    const file = strapiFile(randomBytes(2000));
    await provider.upload({ ...file, stream: undefined, buffer: randomBytes(2000) });
    return {
      hash: file.hash,
      plain: file.url,
      isPrivate: await provider.isPrivate(),
      signed: await provider.getSignedUrl(file),
    };
  },
  async tooLarge() {
    const provider = strapiModule.init({
      provider: 'local',
      options: { root: join(dir, 'limits'), baseUrl: '/uploads' },
    });
    provider.checkFileSize({ name: 'small.bin', size: 999 }, { sizeLimit: 1_000_000 });
    try {
      provider.checkFileSize({ name: 'big.bin', size: 2000 }, { sizeLimit: 1_000_000 });
      return { thrown: false };
    } catch (error) {
      return { thrown: true, name: error.name, message: error.message };
    }
  },
  async missing() {
    const provider = strapiModule.init({ provider: 'nowhere-to-be-found', options: {} });
    try {
      await provider.uploadStream(strapiFile(randomBytes(10)));
      return { thrown: false };
    } catch (error) {
      return { thrown: true, message: error.message };
    }
  },
  async badOptions() {
    const messages = [];
    for (const options of [{}, { provider: 'local', urlExpiresIn: 0 }]) {
      try {
        strapiModule.init(options);
      } catch (error) {
        messages.push(error.message);
      }
    }
    return { messages };
  },
};

scenarios[process.argv[2]]()
  .then((result) => process.stdout.write(JSON.stringify(result)))
  .finally(() => rmSync(dir, { recursive: true, force: true }));
