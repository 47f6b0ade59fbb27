// Small DOM helpers. Everything is built with createElement and textContent: no innerHTML, no inline styles in
// markup (the CSP forbids both), so data can never turn into markup.
import { toAppError, type AppError } from "./ipc";
import { errorText, setAttrText, setText, t, type Key, type Params } from "./i18n";

type Child = Node | string | null | undefined | false;
type Handlers = { [E in keyof HTMLElementEventMap]?: (ev: HTMLElementEventMap[E]) => void };

export interface Props {
  class?: string;
  testid?: string;
  /** Plain text (not translated). */
  text?: string;
  /** Translated text (kept up to date when the language changes). */
  i18n?: Key;
  args?: Params;
  /** Attributes; false/null/undefined are left out, true is an empty attribute. */
  attrs?: Record<string, string | number | boolean | null | undefined>;
  /** Translated attributes, e.g. { "aria-label": "code_copy_aria" }. */
  i18nAttrs?: Record<string, Key>;
  on?: Handlers;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.testid) el.dataset.testid = props.testid;
  if (props.attrs) {
    for (const [name, value] of Object.entries(props.attrs)) {
      if (value === false || value === null || value === undefined) continue;
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  if (props.i18nAttrs) for (const [name, key] of Object.entries(props.i18nAttrs)) setAttrText(el, name, key);
  if (props.i18n) setText(el, props.i18n, props.args);
  else if (props.text !== undefined) el.textContent = props.text;
  if (props.on) {
    for (const [type, fn] of Object.entries(props.on)) el.addEventListener(type, fn as EventListener);
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  ...children: SVGElement[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  el.append(...children);
  return el;
}

/** A 24×24 line icon from path data (decorative: hidden from screen readers). */
export function icon(...paths: string[]): SVGSVGElement {
  return svg(
    "svg",
    {
      viewBox: "0 0 24 24",
      class: "icon",
      "aria-hidden": "true",
      focusable: "false",
      fill: "none",
      stroke: "currentColor",
      "stroke-width": 2,
      "stroke-linecap": "round",
      "stroke-linejoin": "round",
    },
    ...paths.map((d) => svg("path", { d })),
  );
}

export const ICONS = {
  key: ["M15 7a4 4 0 1 1-3.9 4.9L4 19v2h3v-2h2v-2h2l1.1-1.1A4 4 0 0 1 15 7z", "M16 10h.01"],
  plus: ["M12 5v14", "M5 12h14"],
  gear: [
    "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z",
    "M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 0 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 0 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 0 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 0 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z",
  ],
  hash: ["M5 9h14", "M5 15h14", "M10 4L8 20", "M16 4l-2 16"],
  trash: ["M3 6h18", "M8 6V4h8v2", "M19 6l-1 14H6L5 6", "M10 11v6", "M14 11v6"],
  copy: ["M9 9h11v11H9z", "M5 15H4V4h11v1"],
  globe: ["M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z", "M3 12h18", "M12 3a14 14 0 0 1 0 18", "M12 3a14 14 0 0 0 0 18"],
  image: ["M4 4h16v16H4z", "M4 16l5-5 4 4 3-3 4 4", "M15.5 8.5h.01"],
  link: ["M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1", "M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1"],
  pen: ["M4 20h4L19 9l-4-4L4 16z", "M13.5 6.5l4 4"],
  clipboard: ["M9 4h6v3H9z", "M9 5H6v16h12V5h-3"],
  clock: ["M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z", "M12 7v5l3 2"],
  lock: ["M6 11h12v10H6z", "M8 11V7a4 4 0 0 1 8 0v4"],
  camera: ["M4 8h3l2-3h6l2 3h3v11H4z", "M12 17a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z"],
  alert: ["M12 3l10 18H2z", "M12 10v5", "M12 18h.01"],
  check: ["M5 12l5 5L20 7"],
  info: ["M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z", "M12 11v6", "M12 7.5h.01"],
} satisfies Record<string, string[]>;

/** Groups a code for reading: "123456" → "123 456", "12345678" → "1234 5678", "1234567" → "123 4567". */
export function groupCode(code: string): string {
  if (code.length < 6) return code;
  const head = Math.floor(code.length / 2);
  return `${code.slice(0, head)} ${code.slice(head)}`;
}

/** A token's name as lists show it: the issuer, or else the account. */
export function tokenTitle(token: { issuer: string | null; account: string }): string {
  return token.issuer?.trim() || token.account.trim() || t("no_name");
}

// ---------------------------------------------------------------------------------------------------------------
// Errors: one on screen at a time, in an element data-testid="error" data-code="<code>".

/** Shows `error` inside `slot` (removing every other error on screen first). */
export function showError(slot: HTMLElement, error: unknown): AppError {
  const err = toAppError(error);
  clearErrors();
  const box = h(
    "div",
    { class: "error", testid: "error", attrs: { "data-code": err.code, role: "alert" } },
    icon(...ICONS.alert),
    h(
      "div",
      { class: "error-body" },
      h("p", { class: "error-text", text: errorText(err.code) }),
      err.message ? h("p", { class: "error-detail", text: `${err.message} [${err.code}]` }) : null,
    ),
  );
  // The sentence follows a language switch too.
  box.querySelector<HTMLElement>(".error-text")!.dataset.errorCode = err.code;
  slot.replaceChildren(box);
  return err;
}

/** Re-words shown errors after a language switch. */
export function retranslateErrors(): void {
  document.querySelectorAll<HTMLElement>("[data-error-code]").forEach((el) => {
    el.textContent = errorText(el.dataset.errorCode ?? "internal");
  });
}

export function clearErrors(): void {
  document.querySelectorAll('[data-testid="error"]').forEach((el) => el.remove());
}

export function uiError(code: string, message = ""): AppError {
  return { code, message };
}

// ---------------------------------------------------------------------------------------------------------------
// Busy state: while a call runs, every control in `scope` is disabled and the pressed button says so.

export async function whileBusy<T>(scope: HTMLElement, button: HTMLButtonElement | null, run: () => Promise<T>): Promise<T> {
  const controls = [...scope.querySelectorAll<HTMLButtonElement | HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(
    "button, input, select, textarea",
  )].filter((el) => !el.disabled);
  for (const el of controls) el.disabled = true;
  scope.setAttribute("aria-busy", "true");
  const label = button?.querySelector<HTMLElement>(".label");
  const oldKey = label?.dataset.i18n;
  if (label) setText(label, "busy");
  try {
    return await run();
  } finally {
    for (const el of controls) el.disabled = false;
    scope.removeAttribute("aria-busy");
    if (label && oldKey) setText(label, oldKey as Key);
  }
}

/** A button with an optional icon and a translated label (in a .label span, so whileBusy can re-word it). */
export function button(
  key: Key,
  props: Props & { icon?: string[]; kind?: "primary" | "secondary" | "danger" | "ghost"; type?: "button" | "submit" } = {},
): HTMLButtonElement {
  const { icon: iconPaths, kind = "secondary", type = "button", ...rest } = props;
  const el = h("button", {
    ...rest,
    class: `btn btn-${kind}${rest.class ? ` ${rest.class}` : ""}`,
    attrs: { type, ...rest.attrs },
  });
  if (iconPaths) el.append(icon(...iconPaths));
  el.append(h("span", { class: "label", i18n: key }));
  return el;
}

/** A labelled form field: <label> with the text, then the control, then optional help. */
export function field(labelKey: Key, control: HTMLElement, helpKey?: Key, hideLabel = false): HTMLElement {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  const help = helpKey ? h("p", { class: "help", i18n: helpKey, attrs: { id: `${id}-help` } }) : null;
  if (help) control.setAttribute("aria-describedby", help.id);
  return h(
    "div",
    { class: "field" },
    h("label", { class: hideLabel ? "sr-only" : undefined, i18n: labelKey, attrs: { for: id } }),
    control,
    help,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Toast: one short message at the bottom (role=status, so screen readers read it).

let toastEl: HTMLElement | null = null;
let toastTimer = 0;

export function mountToast(parent: HTMLElement): void {
  toastEl = h("div", { class: "toast", testid: "toast", attrs: { role: "status", "aria-live": "polite", hidden: true } });
  parent.append(toastEl);
}

export function toast(key: Key, params?: Params, ms = 3500): void {
  if (!toastEl) return;
  setText(toastEl, key, params);
  toastEl.hidden = false;
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => {
    if (toastEl) toastEl.hidden = true;
  }, ms);
}
