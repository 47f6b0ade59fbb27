// softtoken's webview: the shell (header, navigation, tester banner, toast) and the screen router.
performance.mark("script-start");
import "./style.css";
import { api, type AppState, type Settings } from "./ipc";
import type { Cleanup, Ctx, ScreenName, SerialArg } from "./app";
import { lang, onLangChange, resolveLang, selfCheck, setLang, setText } from "./i18n";
import { button, h, icon, ICONS, mountToast, retranslateErrors, showError, svg } from "./dom";
import { renderVault } from "./screens/vault";
import { askCodes, renderCodes, type CodesAnswer } from "./screens/codes";
import { renderSerial } from "./screens/serial";
import { renderAdd } from "./screens/add";
import { renderSettings } from "./screens/settings";

if (import.meta.env.DEV) {
  const problems = selfCheck();
  if (problems.length) console.error("i18n self-check:", problems);
}

const root = document.getElementById("app") ?? document.body.appendChild(h("div", { attrs: { id: "app" } }));

// ---------------------------------------------------------------------------------------------------------------
// The shell.

const bannerSlot = h("div", { class: "banner-slot" });

function navButton(name: Exclude<ScreenName, "vault" | "serial">, key: "nav_codes" | "nav_add" | "nav_settings", paths: string[]) {
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

// ---------------------------------------------------------------------------------------------------------------
// State and routing.

let cleanup: Cleanup | void = undefined;
let firstPaintSent = false;
let firstCodes: Promise<CodesAnswer> | undefined;

const ctx: Ctx = {
  state: null as unknown as AppState,
  go(name: ScreenName, arg?: SerialArg) {
    if (cleanup) cleanup();
    cleanup = undefined;
    main.replaceChildren();
    document.body.dataset.screen = name;
    nav.hidden = name === "vault";
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
        cleanup = renderSerial(ctx, main, arg!);
        break;
      case "add":
        cleanup = renderAdd(ctx, main);
        break;
      case "settings":
        cleanup = renderSettings(ctx, main);
        break;
    }
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
  if (ctx.state.storage === null) firstCodes = undefined;
  ctx.go(ctx.state.storage === null ? "vault" : "codes");
}

setLang(resolveLang("auto", navigator.language || "ja"));
void start();
