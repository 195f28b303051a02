/** Public API of the Odoo client. */
export { OdooClient, resultOf, type OdooConnectionTest, type VerbatimResult } from './client.js';
export {
  odooConnectionSettingsSchema,
  odooProtocolSchema,
  parseOdooConnectionSettings,
  type OdooConnectionSettings,
  type OdooConnectionSettingsInput,
  type OdooProtocolSetting,
} from './settings.js';
export { OdooError, ODOO_ERROR_CODES, isOdooError, type OdooErrorCode, type OdooErrorDetails } from './errors.js';
export {
  parseJsonRpcResponse,
  parseJson2Response,
  classifyOdooException,
  type RawOdooResponse,
} from './envelope.js';
export { toJson2Call, shapeJson2Result, JSON2_SIGNATURES, type Json2Call, type Json2MethodSignature } from './json2-params.js';
export { parseOdooVersion, supportsJson2, type OdooServerVersion, type OdooWireProtocol } from './version.js';
export { ConcurrencyLimit } from './concurrency-limit.js';
