// One rule for "this form is a login form", shared by the crawler (which fills it in) and the extractors (which
// call a page holding it a login wall): a password field together with a visible user-name field in the same form.
// A PIN box on a purchase form (password field, no user name) or a search box next to it is not a login form.

/** An <input> of a form as both readers see it (attributes lower-cased where the HTML ignores case). */
export interface FormInputSeen {
  name: string;
  type: string;
  id?: string;
  placeholder?: string;
  title?: string;
  style?: string;
}

export interface LoginFormFields {
  username: string;
  password: string;
  /** A text field for the captcha answer, when the form has one. */
  captcha?: string;
}

/** Names of a captcha-answer field ("captcha", "confirm_code", "human_check", "verification"). */
export const CAPTCHA_FIELD_RE = /captcha|confirm|code|human|verif/i;
/** Text fields that are never a user name: search boxes and quantities. */
const NOT_USERNAME_RE = /search|(?:^|[\s_-])q$|quantity|qty|amount/i;

const hidden = (i: FormInputSeen) => /display\s*:\s*none|visibility\s*:\s*hidden/i.test(i.style ?? '');
const isText = (i: FormInputSeen) => ['text', 'email', ''].includes((i.type || '').toLowerCase());
const described = (i: FormInputSeen) => `${i.name} ${i.id ?? ''} ${i.placeholder ?? ''} ${i.title ?? ''}`;

/**
 * The login fields of a form, or null when it is not a login form. `known` names the fields when the operator
 * configured them for a market (they win over the guess, but the form still needs its password field).
 */
export function loginFormFields(inputs: readonly FormInputSeen[], known: Partial<LoginFormFields> = {}): LoginFormFields | null {
  const pw = inputs.find((i) => (i.type || '').toLowerCase() === 'password');
  if (!pw) return null;
  const texts = inputs.filter((i) => isText(i) && !hidden(i));
  const captcha = known.captcha ? inputs.find((i) => i.name === known.captcha) : texts.find((i) => CAPTCHA_FIELD_RE.test(described(i)));
  const user = known.username
    ? inputs.find((i) => i.name === known.username)
    : texts.find((i) => i !== captcha && !NOT_USERNAME_RE.test(described(i)));
  if (!user) return null;
  return { username: user.name || 'username', password: known.password ?? (pw.name || 'password'), captcha: captcha?.name || undefined };
}
