export { type PlannedFile, renderTemplate, type TemplateVersions } from './files.js';
export {
  NameError,
  nameFromFolder,
  PACKAGE_PREFIX,
  type ProviderNames,
  providerNames,
  RESERVED_NAMES,
} from './names.js';
export { checkTarget, ScaffoldError, type ScaffoldOptions, type ScaffoldResult, scaffold } from './scaffold.js';
