/** Factories for the exceptions Odoo raises, with the exact class names and texts it uses. */
import { OdooException } from '../contract.js';

export { OdooException };

export const valueError = (msg: string) => new OdooException('builtins.ValueError', msg);
export const typeError = (msg: string) => new OdooException('builtins.TypeError', msg);
export const attributeError = (msg: string) => new OdooException('builtins.AttributeError', msg);
export const userError = (msg: string) => new OdooException('odoo.exceptions.UserError', msg);
export const validationError = (msg: string) => new OdooException('odoo.exceptions.ValidationError', msg);
export const accessError = (msg: string) => new OdooException('odoo.exceptions.AccessError', msg);
export const accessDenied = () => new OdooException('odoo.exceptions.AccessDenied', 'Access Denied');

export function missingError(model: string, ids: number[], uid: number): OdooException {
  // Python prints a 1-tuple as "(999999,)" and longer tuples as "(1, 2)".
  const tuple = ids.length === 1 ? `(${ids[0]},)` : `(${ids.join(', ')})`;
  return new OdooException(
    'odoo.exceptions.MissingError',
    `Record does not exist or has been deleted.\n(Record: ${model}${tuple}, User: ${uid})`,
  );
}

/**
 * PostgreSQL's foreign-key violation as Odoo reports it, for an insert or a delete alike. `model`
 * is the one whose table holds the constraint (Odoo falls back on `base` for a relation table).
 */
export function foreignKeyViolation(description: string, model: string, constraint: string): OdooException {
  return validationError(
    'The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\n' +
      `Model: ${description} (${model})\nConstraint: ${constraint}`,
  );
}

export function unknownModel(model: string): OdooException {
  return userError(`Object ${model} doesn't exist`);
}

/** JSON-2 answers an unknown model with a 404 whose args carry the status code. */
export function json2UnknownModel(model: string): OdooException {
  const msg = `the model '${model}' does not exist`;
  return new OdooException('werkzeug.exceptions.NotFound', msg, [msg, 404]);
}

/**
 * The JSON-2 controller's refusal of a body it cannot bind to the method (ids for an @api.model
 * method, a missing or unknown argument): UnprocessableEntity, 422 (addons/rpc/controllers/json2.py).
 */
export function unprocessable(message: string): OdooException {
  return new OdooException('werkzeug.exceptions.UnprocessableEntity', message);
}

export function unknownMethod(model: string, method: string): OdooException {
  return attributeError(`The method '${model}.${method}' does not exist`);
}

export function privateMethod(model: string, method: string): OdooException {
  return accessError(`Private methods (such as '${model}.${method}') cannot be called remotely.`);
}
