// softtoken's webview: the shell (header, navigation, tester banner, toast) and the screen router.
performance.mark("script-start");
import "./style.css";
import { api, toAppError, type AppState, type Settings } from "./ipc";
import type { Cleanup, Ctx, LinkArg, ScreenName, SerialArg } from "./app";
import { lang, onLangChange, resolveLang, selfCheck, setLang, setText } from "./i18n";
import { button, h, icon, ICONS, mountToast, retranslateErrors, showError, svg } from "./dom";
import { renderVault } from "./screens/vault";
import { askCodes, renderCodes, type CodesAnswer } from "./screens/codes";
import { renderSerial } from "./screens/serial";
import { renderAdd } from "./screens/add";
import { renderSettings } from "./screens/settings";
import { renderLock } from "./screens/lock";
import { renderLink } from "./screens/link";
import { renderScan } from "./screens/scan";

if (import.meta.env.DEV) {
  const problems = selfCheck();
  if (problems.length) console.error("i18n self-check:", problems);
}

const root = document.getElementById("app") ?? document.body.appendChild(h("div", { attrs: { id: "app" } }));

// ---------------------------------------------------------------------------------------------------------------
// The shell.

const bannerSlot = h("div", { class: "banner-slot" });

function navButton(name: "codes" | "add" | "settings", key: "nav_codes" | "nav_add" | "nav_settings", paths: string[]) {
  const b = h("button", { class: "tab", testid: `nav-${name}`, attrs: { type: "button" }, on: { click: () => ctx.go(name) } });
  b.append(icon(...paths), h("span", { class: "tab-label", i18n: key }));
  return b;
}

const tabs = {
  codes: navButton("codes", "nav_codes", ICONS.key),
  add: navButton("add", "nav_add", ICONS.plus),
  settings: navButton("settings", "nav_settings", ICONS.gear),
};

const langButton = h("button", {
  class: "lang-toggle",
  testid: "nav-lang",
  i18n: "nav_lang",
  i18nAttrs: { "aria-label": "nav_lang_aria" },
  attrs: { type: "button" },
  on: { click: () => toggleLanguage() },
});

const logo = svg(
  "svg",
  { viewBox: "0 0 32 32", class: "logo", "aria-hidden": "true", focusable: "false" },
  svg("rect", { x: 2, y: 2, width: 28, height: 28, rx: 8, class: "logo-bg" }),
  svg("path", { d: "M16 7l7 3v5c0 5-3 8.5-7 10-4-1.5-7-5-7-10v-5z", class: "logo-shield" }),
  svg("path", { d: "M12.5 16l2.5 2.5 4.5-5", class: "logo-check" }),
);

const nav = h("nav", { class: "tabs", i18nAttrs: { "aria-label": "nav_label" } }, tabs.codes, tabs.add, tabs.settings);
const header = h(
  "header",
  { class: "app-header" },
  bannerSlot,
  h("div", { class: "bar" }, h("div", { class: "brand" }, logo, h("span", { class: "brand-name", i18n: "app_name" })), langButton),
  nav,
);
const main = h("main", { class: "screen", attrs: { id: "main", tabindex: -1 } });
root.replaceChildren(header, main);
mountToast(document.body);

// Dropping a file anywhere must never make the webview navigate to it (the Add screen reads dropped images).
window.addEventListener("dragover", (e) => e.preventDefault());
window.addEventListener("drop", (e) => e.preventDefault());

onLangChange(() => retranslateErrors());

// Nudges from Rust (src-tauri/src/lib.rs): they carry no data; the screens ask through their commands.
// - softtoken:link: an activation link arrived (shown now, or once the app is unlocked and the store open).
// - softtoken:locked: the app lock locked the app (also sent by any command that answered app_locked).
// - softtoken:away / softtoken:back (phones): the app left / regained the foreground. The cover hides the codes
//   before iOS takes the app switcher's snapshot (Android's FLAG_SECURE keeps them out of it anyway).
window.addEventListener("softtoken:link", () => {
  if (!ctx.state || ctx.state.appLock.locked || ctx.state.storage === null) return;
  if (document.body.dataset.screen === "loading") return;
  void showPendingLink();
});
window.addEventListener("softtoken:locked", () => {
  if (!ctx.state || document.body.dataset.screen === "lock") return;
  ctx.state = { ...ctx.state, appLock: { ...ctx.state.appLock, locked: true } };
  ctx.go("lock");
});
window.addEventListener("softtoken:away", () => document.body.classList.add("covered"));
window.addEventListener("softtoken:back", () => document.body.classList.remove("covered"));
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden" && ctx.state && !ctx.state.testerAvailable) document.body.classList.add("covered");
  else if (document.visibilityState === "visible") document.body.classList.remove("covered");
});

/** Shows the waiting activation link (or why it cannot be used); false when none waits. */
async function showPendingLink(): Promise<boolean> {
  let arg: LinkArg;
  try {
    const link = await api.pendingLink();
    if (!link) return false;
    arg = { link };
  } catch (e) {
    const error = toAppError(e);
    if (error.code === "app_locked") return true;
    arg = { error };
  }
  ctx.go("link", arg);
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// State and routing.

let cleanup: Cleanup | void = undefined;
let firstPaintSent = false;
let firstCodes: Promise<CodesAnswer> | undefined;

const ctx: Ctx = {
  state: null as unknown as AppState,
  go(name: ScreenName, arg?: SerialArg | LinkArg) {
    if (cleanup) cleanup();
    cleanup = undefined;
    main.replaceChildren();
    document.body.dataset.screen = name;
    nav.hidden = name === "vault" || name === "lock" || name === "link" || name === "scan";
    for (const [tab, el] of Object.entries(tabs)) {
      if (tab === name || (tab === "codes" && name === "serial")) el.setAttribute("aria-current", "page");
      else el.removeAttribute("aria-current");
    }
    window.scrollTo(0, 0);
    switch (name) {
      case "vault":
        cleanup = renderVault(ctx, main);
        break;
      case "codes":
        cleanup = renderCodes(ctx, main);
        break;
      case "serial":
        cleanup = renderSerial(ctx, main, arg as SerialArg);
        break;
      case "lock":
        cleanup = renderLock(ctx, main);
        break;
      case "link":
        cleanup = renderLink(ctx, main, arg as LinkArg);
        break;
      case "scan":
        cleanup = renderScan(ctx, main);
        break;
      case "add":
        cleanup = renderAdd(ctx, main);
        break;
      case "settings":
        cleanup = renderSettings(ctx, main);
        break;
    }
  },
  async home() {
    if (ctx.state.appLock.locked) return ctx.go("lock");
    if (ctx.state.storage === null) return ctx.go("vault");
    if (await showPendingLink()) return;
    ctx.go("codes");
  },
  applySettings(settings: Settings) {
    ctx.state = { ...ctx.state, settings };
    setLang(resolveLang(settings.language, ctx.state.osLocale));
    updateBanner();
  },
  takeFirstCodes() {
    const p = firstCodes;
    firstCodes = undefined;
    return p;
  },
  firstPaint() {
    if (firstPaintSent || !ctx.state?.startupBench) return;
    firstPaintSent = true;
    const at = (name: string) => {
      const e = performance.getEntriesByName(name)[0];
      return e ? performance.timeOrigin + e.startTime : null;
    };
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        api
          .firstPaint({
            pageStart: performance.timeOrigin,
            scriptStart: at("script-start"),
            codesAsked: at("codes-asked"),
            codesAnswered: at("codes-answered"),
            painted: performance.timeOrigin + performance.now(),
          })
          .catch(() => undefined);
      }),
    );
  },
};

function updateBanner() {
  const s = ctx.state.settings;
  if (!ctx.state.testerAvailable || !s.testerMode) {
    bannerSlot.replaceChildren();
    document.body.classList.remove("tester");
    return;
  }
  const shift = s.clockShiftSeconds > 0 ? `+${s.clockShiftSeconds}` : String(s.clockShiftSeconds);
  const text = h("span");
  setText(text, "tester_banner", { shift });
  bannerSlot.replaceChildren(h("div", { class: "tester-banner", testid: "tester-banner", attrs: { role: "note" } }, text));
  document.body.classList.add("tester");
}

/** The header's quick switch: the other language, kept in the settings (the switch stands even if saving fails). */
function toggleLanguage() {
  const next = lang() === "ja" ? "en" : "ja";
  setLang(next);
  if (!ctx.state) return;
  const settings: Settings = { ...ctx.state.settings, language: next };
  ctx.state = { ...ctx.state, settings };
  api.setSettings(settings).then(
    (saved) => {
      ctx.state = { ...ctx.state, settings: saved };
    },
    () => undefined,
  );
}

async function start() {
  document.body.dataset.screen = "loading";
  nav.hidden = true;
  main.replaceChildren(h("p", { class: "loading", i18n: "loading" }));
  // The code screen's data is asked for now, beside the app state (they do not depend on each other), so the
  // first code waits for one round of IPC rather than two. With no store open (the vault screen) it fails
  // quietly and is not used.
  performance.mark("codes-asked");
  firstCodes = askCodes();
  firstCodes.catch(() => undefined);
  try {
    ctx.state = await api.appState();
  } catch (e) {
    const slot = h("div");
    main.replaceChildren(
      h("h1", { class: "screen-title", i18n: "start_failed" }),
      slot,
      button("retry", { kind: "primary", on: { click: () => void start() } }),
    );
    showError(slot, e);
    return;
  }
  setLang(resolveLang(ctx.state.settings.language, ctx.state.osLocale));
  updateBanner();
  if (ctx.state.storage === null || ctx.state.appLock.locked) firstCodes = undefined;
  await ctx.home();
}

setLang(resolveLang("auto", navigator.language || "ja"));
void start();
