export { type BuildAppOptions, buildApp, REDACTED_LOG_PATHS, StartupError } from './app.js';
export { generateToken, hashToken, type RequestAuth, type RouteAccess } from './auth/index.js';
export {
  CONFIG_FILE_NAMES,
  ConfigError,
  type ConfigProblem,
  ENV_VARS,
  type LoadConfigOptions,
  loadConfig,
  parseConfig,
} from './config/load.js';
export { configSchema, defineConfig, type UploadServerConfig, type UploadServerConfigInput } from './config/schema.js';
export type { UploadsContext } from './context.js';
export { envelope, HttpError, STATUS_BY_CODE, toEnvelope } from './errors.js';
export { toFileEntity } from './files/entity.js';
export type { FileEntity, FormatEntity } from './files/model.js';
export { openDatabase } from './store/db.js';
export { createRepository, type Repository } from './store/repository.js';
export type { Database, Dialect, FileEntityRow, FileRow } from './store/schema.js';
export type { AdoptInput, FileInfo, IngestInput, StagedFile, Uploads } from './uploads/index.js';
