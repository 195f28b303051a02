import { useId } from 'preact/hooks';
import { Badge, TextAreaField } from './components';
import { parseList } from './format';

// An API key and a registered app are both credentials bound by scopes, a rate limit and
// optional model/method allow-lists: their forms and tables show these the same way.

/** The limits of a key or app, as stored. */
export interface AccessLimits {
  scopes: string[];
  rateLimit: number;
  allowedModels: string[] | null;
  allowedMethods: string[] | null;
}

/** The same limits as form text. */
export interface AccessForm {
  scopes: string[];
  rateLimit: string;
  allowedModels: string;
  allowedMethods: string;
}

export function blankAccess(scopes: string[], defaultRateLimit: number): AccessForm {
  return { scopes, rateLimit: String(defaultRateLimit), allowedModels: '', allowedMethods: '' };
}

export function accessFormOf(c: AccessLimits): AccessForm {
  return {
    scopes: c.scopes,
    rateLimit: String(c.rateLimit),
    allowedModels: c.allowedModels?.join(', ') ?? '',
    allowedMethods: c.allowedMethods?.join(', ') ?? '',
  };
}

/** The request body part; an empty rate limit is left out so the relay's default applies. */
export function accessBody(f: AccessForm) {
  const rate = f.rateLimit.trim() === '' ? undefined : Number(f.rateLimit);
  return {
    scopes: f.scopes,
    ...(rate !== undefined ? { rateLimit: rate } : {}),
    allowedModels: parseList(f.allowedModels),
    allowedMethods: parseList(f.allowedMethods),
  };
}

/** One checkbox per scope, each with what it allows. */
export function ScopeChoices(props: {
  legend: string;
  scopes: string[];
  help: Record<string, string>;
  value: string[];
  onValue: (scopes: string[]) => void;
  error?: string;
}) {
  const errId = `${useId()}-err`;
  const toggle = (s: string, on: boolean) => props.onValue(on ? [...props.value, s] : props.value.filter((x) => x !== s));
  return (
    <fieldset class="field" aria-describedby={props.error ? errId : undefined}>
      <legend>{props.legend}</legend>
      {props.scopes.map((s) => (
        <label class="check check-block" key={s}>
          <input type="checkbox" name="scopes" value={s} checked={props.value.includes(s)} onChange={(e) => toggle(s, (e.target as HTMLInputElement).checked)} />
          <span>
            <strong>{s}</strong> <span class="muted">— {props.help[s] ?? ''}</span>
          </span>
        </label>
      ))}
      {props.error && (
        <p class="field-error" id={errId}>
          {props.error}
        </p>
      )}
    </fieldset>
  );
}

const ALLOW_LISTS = [
  { key: 'allowedModels', label: 'Allowed models (optional)', hint: 'Comma or space separated, e.g. res.partner, sale.*. Empty allows every model.' },
  { key: 'allowedMethods', label: 'Allowed methods (optional)', hint: 'e.g. search_read, create. Empty allows every method the scopes allow.' },
] as const;

/** The optional model and method allow-lists, comma or space separated. */
export function AllowListFields(props: {
  form: Pick<AccessForm, 'allowedModels' | 'allowedMethods'>;
  set: (k: 'allowedModels' | 'allowedMethods') => (v: string) => void;
  errors: Record<string, string>;
}) {
  return (
    <>
      {ALLOW_LISTS.map(({ key, label, hint }) => (
        <TextAreaField key={key} label={label} name={key} rows={2} value={props.form[key]} onValue={props.set(key)} error={props.errors[key]} hint={hint} />
      ))}
    </>
  );
}

/** The allow-lists under a table row's name; nothing when both allow everything. */
export function AllowListSummary({ allowedModels, allowedMethods }: Pick<AccessLimits, 'allowedModels' | 'allowedMethods'>) {
  if (!allowedModels && !allowedMethods) return null;
  return (
    <div class="sub">
      {allowedModels && <>models: {allowedModels.join(', ')} </>}
      {allowedMethods && <>methods: {allowedMethods.join(', ')}</>}
    </div>
  );
}

export function ScopeBadges({ scopes }: { scopes: string[] }) {
  return (
    <>
      {scopes.map((s) => (
        <Badge key={s} tone="info">
          {s}
        </Badge>
      ))}
    </>
  );
}
