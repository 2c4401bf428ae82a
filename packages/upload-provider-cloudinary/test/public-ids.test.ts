import { describe, expect, test } from '@jest/globals';
import { isProviderError } from 'upload-provider';
import { allowedFormatsFor, chooseResourceType, resourceTypeForMime, sniffResourceType } from '../src/formats.js';
import { candidateLocations, extensionOf, locationFromMetadata, publicIdFor } from '../src/public-ids.js';
import { mp4, PNG } from './support/bytes.js';

describe('resource types and public ids', () => {
  test('content types choose the resource type: image, video (audio too), raw', () => {
    expect(resourceTypeForMime('image/png')).toBe('image');
    expect(resourceTypeForMime('video/mp4')).toBe('video');
    expect(resourceTypeForMime('audio/mpeg')).toBe('video');
    expect(resourceTypeForMime('application/pdf')).toBe('raw');
    expect(resourceTypeForMime('text/plain')).toBe('raw');
  });

  test('a file whose bytes are not what its type claims is uploaded as raw', () => {
    expect(sniffResourceType(PNG)).toBe('image');
    expect(sniffResourceType(mp4(100))).toBe('video');
    expect(sniffResourceType(Buffer.from('ID3\u0003\u0000'))).toBe('video');
    expect(sniffResourceType(Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe(
      'image',
    );
    expect(chooseResourceType('image/png', PNG)).toBe('image');
    expect(chooseResourceType('image/png', Buffer.from('not an image at all'))).toBe('raw');
    expect(chooseResourceType('video/mp4', PNG)).toBe('raw');
    expect(chooseResourceType('text/plain', PNG)).toBe('raw');
  });

  test('images and videos drop the extension (Cloudinary adds the format); raw files keep it', () => {
    expect(publicIdFor('photos/cat.png', 'image', 'cloudinary')).toBe('photos/cat');
    expect(publicIdFor('clips/intro.mp4', 'video', 'cloudinary')).toBe('clips/intro');
    expect(publicIdFor('docs/report.pdf', 'raw', 'cloudinary')).toBe('docs/report.pdf');
    expect(publicIdFor('a/.hidden', 'image', 'cloudinary')).toBe('a/.hidden');
    expect(publicIdFor('archive.tar.gz', 'raw', 'cloudinary')).toBe('archive.tar.gz');
    expect(extensionOf('a.b/c')).toBeUndefined();
  });

  test('characters Cloudinary forbids in public ids are escaped, and edge spaces too', () => {
    expect(publicIdFor('x/ünï #1 ?&=+%<>.txt', 'raw', 'cloudinary')).toBe('x/ünï _23_1 _3F__26_=_2B__25__3C__3E_.txt');
    expect(publicIdFor(' padded .txt', 'raw', 'cloudinary')).toBe('_20_padded .txt');
  });

  test('a public id over 255 characters is refused with INVALID_INPUT', () => {
    let error: unknown;
    try {
      publicIdFor(`${'a'.repeat(300)}.txt`, 'raw', 'cloudinary');
    } catch (e) {
      error = e;
    }
    expect(isProviderError(error, 'INVALID_INPUT')).toBe(true);
    expect((error as Error).message).toMatch(/at most 255/);
  });

  test('refs without metadata are looked for where the extension points first, then elsewhere', () => {
    const locs = candidateLocations('p/cat.png', 'private', 'cloudinary');
    expect(locs.map((l) => [l.resource_type, l.public_id, l.format])).toEqual([
      ['image', 'p/cat', 'png'],
      ['video', 'p/cat', 'png'],
      ['raw', 'p/cat.png', undefined],
    ]);
    expect(locs.every((l) => l.type === 'private')).toBe(true);
    expect(candidateLocations('d/a.pdf', 'upload', 'cloudinary')[0]?.resource_type).toBe('raw');
  });

  test('provider metadata is read back only when it is complete', () => {
    expect(
      locationFromMetadata({ public_id: 'a', resource_type: 'image', type: 'upload', version: 3, format: 'png' }),
    ).toEqual({
      public_id: 'a',
      resource_type: 'image',
      type: 'upload',
      version: 3,
      format: 'png',
    });
    expect(locationFromMetadata({ public_id: 'a', resource_type: 'document', type: 'upload' })).toBeUndefined();
    expect(locationFromMetadata(null)).toBeUndefined();
  });

  test('direct uploads pin formats: one for an exact type, the family for type/*, none for raw', () => {
    expect(allowedFormatsFor('image/png')).toEqual(['png']);
    expect(allowedFormatsFor('image/jpeg')).toEqual(['jpg']);
    expect(allowedFormatsFor('image/*')).toContain('webp');
    expect(allowedFormatsFor('image/*')).not.toContain('pdf');
    expect(allowedFormatsFor('audio/*')).toEqual(['mp3', 'm4a', 'wav', 'ogg', 'flac', 'aac']);
    expect(allowedFormatsFor('text/plain')).toBeUndefined();
  });
});
