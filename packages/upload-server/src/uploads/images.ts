import type { UploadServerConfig } from '../config/schema.js';
import type { ImageProcessor } from './ingest.js';

/**
 * The image processor for this config (dimensions and responsive formats), from src/images. Null until that
 * module is present or when image formats are turned off.
 */
export async function createImages(_config: UploadServerConfig): Promise<ImageProcessor | null> {
  return null;
}
