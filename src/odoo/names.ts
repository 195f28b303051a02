/**
 * The names the relay accepts for Odoo's models, methods and fields, checked alike by every
 * route and by the client. Odoo's own rule for a model name is `^[a-z0-9_.]+$` (`_check_model_name`);
 * a letter first and no empty segment, which every real model has, keeps `res..partner` out.
 */

/** Dotted lowercase identifiers: `res.partner`, `x_custom.model_2`. */
export const MODEL_NAME = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;
/** Python identifiers; private (`_x`) ones are refused by the access check, by name. */
export const METHOD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Field names, including Studio's `x_studio_…`. */
export const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
