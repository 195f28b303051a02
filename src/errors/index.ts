export { errorCodes, statusOf, isErrorCode, type ErrorCode } from './codes.js';
export { RelayError } from './relay-error.js';
export { errorBody, type ErrorBody } from './envelope.js';
