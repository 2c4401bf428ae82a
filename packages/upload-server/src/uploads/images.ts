import type { UploadServerConfig } from '../config/schema.js';
import { createImageProcessor, type ImageProcessor } from '../images/index.js';

/** The image processor for this config: dimensions always, responsive formats when `images.formats` is on. */
export function createImages(config: UploadServerConfig): ImageProcessor {
  const { breakpoints, thumbnail, pixelLimit, concurrency } = config.images;
  return createImageProcessor({ breakpoints, thumbnail, pixelLimit, concurrency });
}
