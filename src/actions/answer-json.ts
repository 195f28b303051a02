/**
 * Webhook answers whose `result` is Odoo's own JSON text, written into the reply as it is.
 * Serializing again what was just parsed from Odoo was one of the largest items of the relay's
 * cost per call; the text was parsed once already, which is what proves it is JSON.
 */
const resultTexts = new WeakMap<object, string>();

export interface ExecuteAnswer {
  success: true;
  result: unknown;
  meta: Record<string, unknown>;
}

/** Remembers that `json` is the exact JSON text of `answer.result`. */
export function withResultJson<T extends ExecuteAnswer>(answer: T, json: string | undefined): T {
  if (json !== undefined) resultTexts.set(answer, json);
  return answer;
}

/**
 * The answer's JSON: the same members in the same order as JSON.stringify(answer) gives, with
 * Odoo's text for `result` (it may differ in insignificant whitespace); undefined when there is
 * no such text and the answer must be serialized the usual way.
 */
export function answerJson(answer: unknown): string | undefined {
  if (typeof answer !== 'object' || answer === null) return undefined;
  const json = resultTexts.get(answer);
  if (json === undefined) return undefined;
  const { meta } = answer as ExecuteAnswer;
  return `{"success":true,"result":${json},"meta":${JSON.stringify(meta)}}`;
}
