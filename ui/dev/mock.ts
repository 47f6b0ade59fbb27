// Dev only: a fake Rust side for looking at the UI in a browser (`npm run dev`, open /dev/mock.html).
// Not imported by index.html, so `vite build` never bundles it.
//
// Query parameters:
//   tokens=0|1|3       how many demo tokens (default 1; 3 adds an HOTP one)
//   storage=keychain|file|none   none: the vault screen (vault=1: the file exists → unlock)
//   tester=1 shift=30  tester mode and its clock shift
//   lang=auto|ja|en os=ja-JP|en-US   the language setting and the OS locale
//   fail=cmd:code      make one command fail with that error code (e.g. fail=add_uri:bad_uri)
//   delay=ms           answer every command after this many ms (to see busy states)
//   clock=ok|bad       what check_clock says
//   phase=26           start 26 s into a 30-second step
//   bench=1            a startup-bench build: the UI reports its first paint (first_paint)
//   phone=1            a phone build: no tester mode, the camera scan, the app lock available
//   lock=1             the app lock is on and the app starts locked (every other command answers app_locked)
//   link=known|unknown|bad   an activation link waits (the configured host, a look-alike, an unusable link)
// From the page (dev/check.mjs): __mockLink(kind) (a link arrives), __mockRelock() (the app lock locks again),
// __mockScanned() (the camera sees a token QR).
import { mockIPC } from "@tauri-apps/api/mocks";
import type { AppState, CodeView, Settings, TokenView } from "../src/ipc";

const q = new URLSearchParams(location.search);
// phase=26: the mock's clock starts 26 s into a 30-second step (to look at the last seconds).
const phaseMs = q.has("phase") ? (((Number(q.get("phase")) * 1000 - (Date.now() % 30_000)) % 30_000) + 30_000) % 30_000 : 0;
const shiftMs = () => phaseMs + (settings.testerMode ? settings.clockShiftSeconds * 1000 : 0);

let settings: Settings = {
  language: (q.get("lang") as Settings["language"]) ?? "auto",
  clipboardClearSeconds: 30,
  serviceUrl: "https://token.example-shinkin.jp",
  testerMode: q.get("tester") === "1",
  clockShiftSeconds: Number(q.get("shift") ?? 30),
  appLock: q.get("lock") === "1",
};
const phone = q.get("phone") === "1";
let locked = q.get("lock") === "1";
const OPEN_WHILE_LOCKED = ["app_state", "unlock_app", "first_paint"];

const LINKS = {
  known: { host: "token.example-shinkin.jp", server: "https://token.example-shinkin.jp", known: true, expectedHost: "token.example-shinkin.jp" },
  unknown: {
    host: "token.example-shinkin.jp.account-verify.example",
    server: "https://token.example-shinkin.jp.account-verify.example",
    known: false,
    expectedHost: "token.example-shinkin.jp",
  },
} as const;
let pendingLink: string | null = q.get("link");

// The camera scan: pending until the page calls __mockScanned() or the UI cancels.
let scan: { resolve: (t: TokenView) => void; reject: (e: unknown) => void } | null = null;

const storageParam = q.get("storage") ?? "keychain";
let storage: AppState["storage"] = storageParam === "none" ? null : (storageParam as AppState["storage"]);

const demo: TokenView[] = [
  {
    id: "t1",
    issuer: "しんきん",
    account: "山田 太郎",
    serial: "SKTN12345671",
    serialDisplay: "SKTN 1234 5671",
    kind: "totp",
    period: 30,
    digits: 6,
    algorithm: "SHA1",
    created: 1_790_000_000,
  },
  {
    id: "t2",
    issuer: "みらい信用金庫",
    account: "taro@example.jp",
    serial: "MRSK20000013",
    serialDisplay: "MRSK 2000 0013",
    kind: "totp",
    period: 30,
    digits: 8,
    algorithm: "SHA256",
    created: 1_790_000_100,
  },
  {
    id: "t3",
    issuer: null,
    account: "legacy-counter",
    serial: null,
    serialDisplay: null,
    kind: "hotp",
    period: null,
    digits: 6,
    algorithm: "SHA1",
    created: 1_790_000_200,
  },
];
let tokens: TokenView[] = demo.slice(0, Number(q.get("tokens") ?? 1));
let hotpCounter = 0;

function fake(id: string, step: number, digits: number): string {
  let h = 2166136261;
  for (const ch of `${id}:${step}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
  return String(h % 10 ** digits).padStart(digits, "0");
}

function group(code: string): string {
  const head = Math.floor(code.length / 2);
  return `${code.slice(0, head)} ${code.slice(head)}`;
}

function fail(code: string, message: string): never {
  throw { code, message };
}

function qrSvg(text: string): string {
  const n = 25;
  let rects = "";
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++) {
      const finder = (a: number, b: number) => x >= a && x < a + 7 && y >= b && y < b + 7;
      const inFinder = finder(0, 0) || finder(n - 7, 0) || finder(0, n - 7);
      let on: boolean;
      if (inFinder) {
        const fx = x >= n - 7 ? x - (n - 7) : x;
        const fy = y >= n - 7 ? y - (n - 7) : y;
        on = fx === 0 || fx === 6 || fy === 0 || fy === 6 || (fx >= 2 && fx <= 4 && fy >= 2 && fy <= 4);
      } else on = fake(text, x * n + y, 1) < "5";
      if (on) rects += `<rect x="${x + 2}" y="${y + 2}" width="1" height="1"/>`;
    }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${n + 4} ${n + 4}" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><g fill="#000">${rects}</g></svg>`;
}

function added(partial: Partial<TokenView>): TokenView {
  const token: TokenView = {
    id: `t${Date.now()}`,
    issuer: "しんきん",
    account: "新しいトークン",
    serial: "SKTN76543218",
    serialDisplay: "SKTN 7654 3218",
    kind: "totp",
    period: 30,
    digits: 6,
    algorithm: "SHA1",
    created: Math.floor(Date.now() / 1000),
    ...partial,
  };
  tokens.push(token);
  return token;
}

function state(): AppState {
  return {
    storage,
    keychainError:
      storage === null || storage === "file"
        ? { code: "keychain_unavailable", message: "no Secret Service provider (org.freedesktop.secrets) on the session bus" }
        : null,
    vaultExists: q.get("vault") === "1",
    settings,
    osLocale: q.get("os") ?? "ja-JP",
    version: "0.1.0",
    testerAvailable: !phone,
    defaultServiceUrl: "https://token.example-shinkin.jp",
    startupBench: q.get("bench") === "1",
    appLock: { available: phone, enabled: settings.appLock, locked },
    scanAvailable: phone,
  };
}

const failures = new Map((q.getAll("fail")).map((f) => f.split(":") as [string, string]));
const delay = Number(q.get("delay") ?? 0);

// For dev/check.mjs: what each command last received (the "Rust side" sees the secrets; the webview's IPC log
// keeps only the argument names of the calls that carry one).
const received: Record<string, unknown> = {};
(window as unknown as { __mockReceived: typeof received }).__mockReceived = received;

mockIPC(async (cmd, args) => {
  received[cmd] = args instanceof Uint8Array ? { byteLength: args.byteLength } : args;
  const a = (args ?? {}) as Record<string, unknown>;
  if (delay) await new Promise((r) => setTimeout(r, delay));
  const f = failures.get(cmd);
  if (f) fail(f, `mock failure of ${cmd}`);
  if (locked && !OPEN_WHILE_LOCKED.includes(cmd)) fail("app_locked", "softtoken is locked");
  switch (cmd) {
    case "unlock_app":
      locked = false;
      return { lockTurnedOff: false };
    case "set_app_lock":
      if (!phone) fail("lock_unavailable", "mock: no biometrics on this desktop");
      settings = { ...settings, appLock: Boolean(a.enabled) };
      return settings;
    case "pending_link": {
      const kind = pendingLink;
      if (kind === "bad") {
        pendingLink = null;
        fail("bad_service_url", "http://bank.example is plain http to another machine: use https://");
      }
      return kind === "known" || kind === "unknown" ? LINKS[kind] : null;
    }
    case "accept_link":
      if (pendingLink !== "known" && pendingLink !== "unknown") fail("no_pending_link", "no activation link is waiting");
      pendingLink = null;
      return added({ account: "リンクから取得" });
    case "dismiss_link":
      pendingLink = null;
      return null;
    case "scan_qr":
      if (!phone) fail("scan_unavailable", "no camera scan on the desktop");
      return new Promise((resolve, reject) => {
        scan = { resolve, reject };
      });
    case "cancel_scan":
      scan?.reject({ code: "scan_cancelled", message: "the scan was cancelled" });
      scan = null;
      return null;
    case "app_state":
      return state();
    case "unlock_vault":
      if (a.passphrase !== "correct horse" && q.get("vault") === "1") fail("wrong_passphrase", "the vault did not open with this passphrase");
      storage = "file";
      return state();
    case "list_tokens":
      return tokens;
    case "codes": {
      const now = Date.now() + shiftMs();
      const codes: CodeView[] = tokens.map((t) => {
        if (t.kind === "hotp")
          return { id: t.id, code: null, codeGrouped: null, nextCode: null, nextCodeGrouped: null, prevCode: null, period: null, validUntilMs: null };
        const p = (t.period ?? 30) * 1000;
        const step = Math.floor(now / p);
        const code = fake(t.id, step, t.digits);
        const next = fake(t.id, step + 1, t.digits);
        return {
          id: t.id,
          code,
          codeGrouped: group(code),
          nextCode: next,
          nextCodeGrouped: group(next),
          prevCode: settings.testerMode ? fake(t.id, step - 1, t.digits) : null,
          period: t.period,
          validUntilMs: (step + 1) * p,
        };
      });
      return { nowMs: now, codes };
    }
    case "hotp_next":
      return fake(String(a.id), hotpCounter++, 6);
    case "add_uri": {
      const uri = String(a.uri);
      if (!uri.startsWith("otpauth://")) fail("bad_uri", "not an otpauth:// URI");
      return added({ account: decodeURIComponent(uri.split("/")[3]?.split("?")[0] ?? "uri") });
    }
    case "add_manual": {
      const t = a.token as { issuer: string; account: string; secret: string; serial: string | null; digits: number; period: number };
      if (t.secret.replace(/[\s-]/g, "").length < 16) fail("secret_too_short", `the secret is too short: ${t.secret.length * 5} bits, at least 80 needed`);
      return added({
        issuer: t.issuer || null,
        account: t.account,
        serial: t.serial ? t.serial.replace(/\s/g, "") : null,
        serialDisplay: t.serial ?? null,
        digits: t.digits,
        period: t.period,
      });
    }
    case "add_from_image":
      if (!(args instanceof Uint8Array) || args.length === 0) fail("bad_image", "no bytes");
      return added({ account: "QR" });
    case "add_from_clipboard":
      return fail("no_clipboard_image", "the clipboard holds no image");
    case "provision_online":
      return added({ account: a.activationCode ? `activation ${String(a.activationCode)}` : "online" });
    case "delete_token":
      tokens = tokens.filter((t) => t.id !== a.id);
      return null;
    case "copy_code":
      return { clearAfterSeconds: settings.clipboardClearSeconds };
    case "serial_qr": {
      const t = tokens.find((x) => x.id === a.id);
      if (!t?.serial) fail("token_not_found", "no serial");
      return qrSvg(t.serial);
    }
    case "set_settings": {
      const s = a.settings as Settings;
      if (!/^https?:\/\//.test(s.serviceUrl)) fail("bad_service_url", `not an http(s) URL: ${s.serviceUrl}`);
      settings = { ...s };
      return settings;
    }
    case "check_clock":
      return q.get("clock") === "bad"
        ? { serverTimeMs: Date.now() - 42_000, skewSeconds: 42.3, ok: false }
        : { serverTimeMs: Date.now(), skewSeconds: 0.4, ok: true };
    case "first_paint":
      if (!state().startupBench) return fail("internal", "mock: first_paint is only in startup-bench builds");
      (window as unknown as { __firstPaint: number }).__firstPaint = performance.now();
      return null;
    default:
      return fail("internal", `mock: unknown command ${cmd}`);
  }
});

// For dev/check.mjs: the mock's clock.
(window as unknown as { __mockNow: () => number }).__mockNow = () => Date.now() + shiftMs();
Object.assign(window, {
  __mockLink(kind: string) {
    pendingLink = kind;
    window.dispatchEvent(new Event("softtoken:link"));
  },
  __mockRelock() {
    locked = true;
    window.dispatchEvent(new Event("softtoken:locked"));
  },
  __mockScanned() {
    scan?.resolve(added({ account: "カメラで読み取り" }));
    scan = null;
  },
});

await import("../src/main");
