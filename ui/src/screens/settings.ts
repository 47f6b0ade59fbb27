// Settings (設定) and About: language, clipboard clearing, the token service URL, tester mode (desktop builds),
// a clock check against the token service, version and licences.
import { api, type Language, type Settings } from "../ipc";
import type { Cleanup, Ctx } from "../app";
import { onLangChange, setText } from "../i18n";
import { button, clearErrors, field, h, icon, ICONS, showError, toast, uiError, whileBusy } from "../dom";

const LICENCES: Array<[string, string]> = [
  ["softtoken", "MIT OR Apache-2.0"],
  ["Tauri", "MIT OR Apache-2.0"],
  ["totp-rs", "MIT"],
  ["keyring", "MIT OR Apache-2.0"],
  ["qrcode", "MIT OR Apache-2.0"],
  ["rqrr", "MIT OR Apache-2.0"],
  ["RustCrypto (chacha20poly1305, argon2, hkdf, sha2)", "MIT OR Apache-2.0"],
  ["x25519-dalek", "BSD-3-Clause"],
  ["serde", "MIT OR Apache-2.0"],
  ["Noto Sans CJK (system font)", "SIL OFL 1.1"],
  ["Google ML Kit barcode scanning (Android camera scan)", "ML Kit Terms of Service"],
];

export function renderSettings(ctx: Ctx, root: HTMLElement): Cleanup {
  const s = ctx.state.settings;
  const errorSlot = h("div", { class: "error-slot" });

  const language = h(
    "select",
    { testid: "settings-language" },
    h("option", { i18n: "lang_auto", attrs: { value: "auto" } }),
    h("option", { i18n: "lang_ja", attrs: { value: "ja" } }),
    h("option", { i18n: "lang_en", attrs: { value: "en" } }),
  );
  language.value = s.language;

  const clipboard = h("input", {
    testid: "settings-clipboard",
    attrs: { type: "number", min: 0, max: 300, step: 1, inputmode: "numeric", value: s.clipboardClearSeconds },
  });

  const serviceUrl = h("input", {
    class: "mono",
    testid: "settings-service-url",
    attrs: { type: "url", spellcheck: "false", autocomplete: "off", autocapitalize: "off", value: s.serviceUrl },
  });
  const resetUrl = button("settings_service_reset", {
    kind: "ghost",
    testid: "settings-service-reset",
    on: {
      click: () => {
        serviceUrl.value = ctx.state.defaultServiceUrl;
        serviceUrl.focus();
      },
    },
  });

  let tester: HTMLInputElement | null = null;
  let shift: HTMLInputElement | null = null;
  let testerSection: HTMLElement | null = null;
  if (ctx.state.testerAvailable) {
    tester = h("input", { testid: "settings-tester", attrs: { type: "checkbox", id: "settings-tester" } });
    tester.checked = s.testerMode;
    shift = h("input", {
      testid: "settings-shift",
      attrs: { type: "number", min: -3600, max: 3600, step: 1, inputmode: "numeric", value: s.clockShiftSeconds },
    });
    testerSection = h(
      "fieldset",
      { class: "card group tester-group" },
      h("legend", { i18n: "settings_tester_title" }),
      h("label", { class: "check", attrs: { for: "settings-tester" } }, tester, h("span", { i18n: "settings_tester" })),
      field("settings_shift", shift),
    );
  }

  // The app lock: switched at once (not with Save), after the OS's check, which Rust asks for.
  let lockSection: HTMLElement | null = null;
  if (ctx.state.appLock.available) {
    const lockSlot = h("div", { class: "error-slot" });
    const lockBox = h("input", { testid: "settings-app-lock", attrs: { type: "checkbox", id: "settings-app-lock" } });
    lockBox.checked = ctx.state.settings.appLock;
    lockBox.addEventListener("change", () => {
      const wanted = lockBox.checked;
      clearErrors();
      whileBusy(lockSection!, null, () => api.setAppLock(wanted)).then(
        (saved) => {
          ctx.applySettings(saved);
          ctx.state = { ...ctx.state, appLock: { ...ctx.state.appLock, enabled: saved.appLock } };
          lockBox.checked = saved.appLock;
          toast(saved.appLock ? "settings_lock_on" : "settings_lock_off");
        },
        (err) => {
          lockBox.checked = !wanted;
          showError(lockSlot, err);
        },
      );
    });
    lockSection = h(
      "fieldset",
      { class: "card group lock-group" },
      h("legend", { i18n: "settings_lock_title" }),
      h("label", { class: "check", attrs: { for: "settings-app-lock" } }, lockBox, h("span", { i18n: "settings_lock" })),
      h("p", { class: "muted small", i18n: "settings_lock_help" }),
      lockSlot,
    );
  }

  const save = button("settings_save", { kind: "primary", type: "submit", testid: "settings-save", class: "btn-block" });
  const form = h(
    "form",
    { class: "form", attrs: { novalidate: true } },
    h(
      "fieldset",
      { class: "card group" },
      h("legend", { i18n: "settings_general" }),
      field("settings_language", language),
      field("settings_clipboard", clipboard, "settings_clipboard_help"),
    ),
    h(
      "fieldset",
      { class: "card group" },
      h("legend", { i18n: "settings_service" }),
      field("settings_service_url", serviceUrl),
      h(
        "div",
        { class: "inline" },
        h("p", { class: "muted small", i18n: "settings_service_default", args: { url: ctx.state.defaultServiceUrl } }),
        resetUrl,
      ),
    ),
    testerSection,
    errorSlot,
    save,
  );

  const intIn = (input: HTMLInputElement, min: number, max: number): number | null => {
    const raw = input.value.trim();
    if (!/^-?\d+$/.test(raw)) return null;
    const n = Number(raw);
    return n >= min && n <= max ? n : null;
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    clearErrors();
    const clip = intIn(clipboard, 0, 300);
    if (clip === null) {
      showError(errorSlot, uiError("bad_setting", "clipboardClearSeconds: 0..300"));
      clipboard.focus();
      return;
    }
    const shiftValue = shift ? intIn(shift, -3600, 3600) : ctx.state.settings.clockShiftSeconds;
    if (shiftValue === null) {
      showError(errorSlot, uiError("bad_setting", "clockShiftSeconds: -3600..3600"));
      shift?.focus();
      return;
    }
    const next: Settings = {
      language: language.value as Language,
      clipboardClearSeconds: clip,
      serviceUrl: serviceUrl.value.trim(),
      testerMode: tester ? tester.checked : ctx.state.settings.testerMode,
      clockShiftSeconds: shiftValue,
      appLock: ctx.state.settings.appLock,
    };
    whileBusy(form, save, () => api.setSettings(next)).then(
      (saved) => {
        ctx.applySettings(saved);
        language.value = saved.language;
        toast("settings_saved");
      },
      (err) => showError(errorSlot, err),
    );
  });

  // Clock check ---------------------------------------------------------------------------------------------------
  const clockSlot = h("div", { class: "error-slot" });
  const clockResult = h("p", { class: "clock-result", testid: "clock-result", attrs: { "aria-live": "polite" } });
  clockResult.hidden = true;
  const clockBtn = button("clock_check", { kind: "secondary", testid: "clock-check", icon: ICONS.clock });
  clockBtn.addEventListener("click", () => {
    clearErrors();
    clockResult.hidden = true;
    whileBusy(clockBtn.parentElement!, clockBtn, () => api.checkClock()).then(
      (check) => {
        const skew = Math.round(check.skewSeconds * 10) / 10;
        const n = skew > 0 ? `+${skew}` : String(skew);
        clockResult.className = `clock-result ${check.ok ? "ok" : "bad"}`;
        clockResult.dataset.ok = String(check.ok);
        clockResult.replaceChildren(icon(...(check.ok ? ICONS.check : ICONS.alert)), h("span", { i18n: check.ok ? "clock_ok" : "clock_bad", args: { n } }));
        clockResult.hidden = false;
      },
      (err) => showError(clockSlot, err),
    );
  });
  const clock = h(
    "section",
    { class: "card group" },
    h("h2", { class: "section-title" }, icon(...ICONS.clock), h("span", { i18n: "clock_title" })),
    h("p", { class: "muted", i18n: "clock_body" }),
    h("div", { class: "actions" }, clockBtn),
    clockResult,
    clockSlot,
  );

  // About ---------------------------------------------------------------------------------------------------------
  const storage = h("dd");
  if (ctx.state.storage) setText(storage, ctx.state.storage === "keychain" ? "storage_keychain" : "storage_file");
  const about = h(
    "section",
    { class: "card group about", testid: "about" },
    h("h2", { class: "section-title" }, icon(...ICONS.info), h("span", { i18n: "about_title" })),
    h("p", { class: "about-name", i18n: "about_name" }),
    h("p", { class: "muted", i18n: "about_desc" }),
    h(
      "dl",
      { class: "facts" },
      h("dt", { i18n: "about_version" }),
      h("dd", { class: "mono", testid: "about-version", text: ctx.state.version }),
      h("dt", { i18n: "about_storage" }),
      storage,
    ),
    h("h3", { i18n: "licences_title" }),
    h(
      "ul",
      { class: "licences" },
      ...LICENCES.map(([name, licence]) => h("li", {}, h("span", { text: name }), h("span", { class: "mono muted", text: licence }))),
    ),
  );

  root.append(h("h1", { class: "screen-title", i18n: "settings_title" }), ...(lockSection ? [lockSection] : []), form, clock, about);

  // The header's language switch changes the setting too: keep the select in step.
  const stop = onLangChange(() => {
    language.value = ctx.state.settings.language;
  });
  return () => stop();
}
