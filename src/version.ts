import { PACKAGE_JSON } from './paths.ts';

/** The package version; shown in the OpenAPI document and `switchyard --version`. */
export const VERSION: string = PACKAGE_JSON.version;
