/**
 * Whether a caller's JSON schema meets OpenAI's strict structured outputs: every object closed
 * (`additionalProperties: false`) with all its properties required. OpenAI refuses a request
 * whose schema is not (400), so only such schemas are sent strict; others go as a plain schema
 * and the relay checks the answer against them itself (chat_invalid_output when it does not fit).
 */
export function isStrictCompatible(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.every(isStrictCompatible);
  if (schema === null || typeof schema !== 'object') return true;
  const node = schema as Record<string, unknown>;
  const properties = node.properties;
  if (node.type === 'object' || (properties !== null && typeof properties === 'object')) {
    if (node.additionalProperties !== false) return false;
    const keys = properties && typeof properties === 'object' ? Object.keys(properties) : [];
    const required = Array.isArray(node.required) ? node.required : [];
    if (!keys.every((k) => required.includes(k))) return false;
  }
  // Sub-schemas wherever JSON Schema nests them.
  for (const key of ['properties', '$defs', 'definitions'] as const) {
    const group = node[key];
    if (group && typeof group === 'object' && !Object.values(group).every(isStrictCompatible)) return false;
  }
  for (const key of ['items', 'anyOf', 'allOf', 'oneOf', 'prefixItems'] as const) {
    if (node[key] !== undefined && !isStrictCompatible(node[key])) return false;
  }
  return true;
}
