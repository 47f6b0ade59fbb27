// Typed wrappers around the app's Tauri commands: the whole contract between the webview and Rust.
//
// What comes back is metadata, codes and seconds only: no command returns a seed. A seed only ever travels the
// other way, when the customer types or pastes one (addUri, addManual) or hands over a QR image (addFromImage).
// Every call and its answer is also kept in a small in-memory log (window.__softtokenIpcLog) that the end-to-end
// test reads to prove that no seed reaches the webview; the arguments of the calls that carry a secret are kept
// as their names only.
import { invoke as tauriInvoke } from "@tauri-apps/api/core";

/** An error from a command: `code` is stable (listed in src-tauri/src/error.rs), `message` is English detail for the curious. */
export interface AppError {
  code: string;
  message: string;
}

export type Language = "auto" | "ja" | "en";

export interface Settings {
  language: Language;
  /** The copied code is removed from the clipboard after this many seconds (0: never). */
  clipboardClearSeconds: number;
  /** Base URL of the token service (softtoken-server) used by "get a token online". */
  serviceUrl: string;
  /** Tester mode (desktop builds only): clock shift, previous/next codes. */
  testerMode: boolean;
  /** Tester mode's clock shift in seconds (ignored unless testerMode). */
  clockShiftSeconds: number;
  /** The app lock. Read-only here: setSettings keeps it as it is; setAppLock changes it after the OS's check. */
  appLock: boolean;
}

export type Storage = "keychain" | "file";

export interface AppState {
  /** Where tokens are kept now, or null while the encrypted file is still locked / not chosen. */
  storage: Storage | null;
  /** Why the OS keychain cannot be used (null when it can). The UI then offers the encrypted file. */
  keychainError: AppError | null;
  /** Whether the encrypted vault file already exists (unlock) or must be created (new passphrase twice). */
  vaultExists: boolean;
  settings: Settings;
  /** The OS locale, e.g. "ja-JP" or "en-US". */
  osLocale: string;
  version: string;
  /** Desktop builds offer tester mode; mobile builds do not. */
  testerAvailable: boolean;
  /** The service URL this build was configured with (Settings can change it). */
  defaultServiceUrl: string;
  /** A build for the start-up benchmark (feature startup-bench): only it has the first_paint command. */
  startupBench: boolean;
  appLock: LockState;
  /** Phones: the Add screen offers the camera scan first. */
  scanAvailable: boolean;
}

export interface LockState {
  /** This device can check the customer (biometrics or the screen lock's PIN): Settings offer the lock. */
  available: boolean;
  /** The customer turned the lock on. */
  enabled: boolean;
  /** Locked now: only appState and unlockApp answer; every other command fails with app_locked. */
  locked: boolean;
}

export interface Unlocked {
  /** The device no longer has a screen lock, so the app lock turned itself off. */
  lockTurnedOff: boolean;
}

/** An activation link from outside, waiting for the customer's yes (its activation code stays in Rust). */
export interface LinkView {
  /** The token service's host (international names in their xn-- form), with the port if not the default. */
  host: string;
  server: string;
  /** The host is the service this app is set up for. When false, the screen warns. */
  known: boolean;
  /** The host this app is set up for. */
  expectedHost: string;
}

export interface TokenView {
  id: string;
  issuer: string | null;
  account: string;
  /** Canonical serial ("SKTN12345678") or the issuer's own form; null when the token has none. */
  serial: string | null;
  /** The serial as screens show it ("SKTN 1234 5678"). */
  serialDisplay: string | null;
  kind: "totp" | "hotp";
  /** Seconds per code (TOTP), null for HOTP. */
  period: number | null;
  digits: number;
  algorithm: string;
  /** When it was added, Unix seconds. */
  created: number;
}

export interface CodeView {
  id: string;
  /** "123456" (TOTP), or null for an HOTP token (use hotpNext). */
  code: string | null;
  /** "123 456" */
  codeGrouped: string | null;
  /** The code of the next step, shown in the last seconds. */
  nextCode: string | null;
  nextCodeGrouped: string | null;
  /** The code of the previous step: tester mode only, otherwise null. */
  prevCode: string | null;
  period: number | null;
  /** The end of the current code's step, in the app's clock (Unix ms, tester shift included). */
  validUntilMs: number | null;
}

export interface Codes {
  /** The app's clock when the codes were made (Unix ms, tester shift included). UI offset = nowMs - Date.now(). */
  nowMs: number;
  codes: CodeView[];
}

export interface ManualToken {
  issuer: string;
  account: string;
  /** Base32 secret as typed (spaces and hyphens allowed). */
  secret: string;
  digits: number;
  period: number;
  algorithm: "SHA1" | "SHA256" | "SHA512";
  /** Optional serial number printed by the bank. */
  serial: string | null;
}

export interface ClockCheck {
  serverTimeMs: number;
  /** App clock minus server clock, seconds (tester shift excluded). */
  skewSeconds: number;
  /** True when |skew| <= 10 s. */
  ok: boolean;
}

export interface CopyResult {
  /** Seconds until the clipboard is cleared (0: never). */
  clearAfterSeconds: number;
}

interface LogEntry {
  cmd: string;
  args: unknown;
  ok: boolean;
  answer: unknown;
}

declare global {
  interface Window {
    __softtokenIpcLog: LogEntry[];
  }
}
window.__softtokenIpcLog = window.__softtokenIpcLog ?? [];
const LOG_LIMIT = 2000;

function record(entry: LogEntry) {
  const log = window.__softtokenIpcLog;
  log.push(entry);
  if (log.length > LOG_LIMIT) log.splice(0, log.length - LOG_LIMIT);
}

/**
 * Commands whose arguments hold what the customer handed over: a secret (URI, typed secret, QR image) or the
 * vault passphrase. The log keeps only which arguments were sent, never their values, so that nothing secret
 * outlives the call in the webview's memory.
 */
const SECRET_ARGS = new Set(["add_uri", "add_manual", "add_from_image", "unlock_vault"]);

function describeArgs(cmd: string, args: unknown): unknown {
  if (SECRET_ARGS.has(cmd)) {
    if (args instanceof Uint8Array) return { bytes: "[redacted]" };
    return Object.fromEntries(Object.keys(args ?? {}).map((k) => [k, "[redacted]"]));
  }
  return args;
}

async function call<T>(cmd: string, args?: Record<string, unknown> | Uint8Array): Promise<T> {
  try {
    const answer = await tauriInvoke<T>(cmd, args as never);
    record({ cmd, args: describeArgs(cmd, args), ok: true, answer });
    return answer;
  } catch (e) {
    record({ cmd, args: describeArgs(cmd, args), ok: false, answer: e });
    const error = toAppError(e);
    // The app lock locked the app under this screen (Rust refuses every command): show the lock screen.
    if (error.code === "app_locked") window.dispatchEvent(new Event("softtoken:locked"));
    throw error;
  }
}

export function toAppError(e: unknown): AppError {
  if (e && typeof e === "object" && "code" in e && "message" in e) return e as AppError;
  return { code: "internal", message: String(e) };
}

/** Milestones of the first paint, as Unix milliseconds of the webview's clock (null if not reached). */
export interface PaintMarks {
  pageStart: number;
  scriptStart: number | null;
  codesAsked: number | null;
  codesAnswered: number | null;
  painted: number;
}

export const api = {
  appState: () => call<AppState>("app_state"),
  /** Opens (or, when vaultExists is false, creates) the encrypted file store. */
  unlockVault: (passphrase: string) => call<AppState>("unlock_vault", { passphrase }),
  listTokens: () => call<TokenView[]>("list_tokens"),
  codes: () => call<Codes>("codes"),
  hotpNext: (id: string) => call<string>("hotp_next", { id }),
  addUri: (uri: string) => call<TokenView>("add_uri", { uri }),
  addManual: (token: ManualToken) => call<TokenView>("add_manual", { token }),
  /** A PNG or JPEG holding a provisioning QR (from a file input, drag-and-drop or paste). */
  addFromImage: (bytes: Uint8Array) => call<TokenView>("add_from_image", bytes),
  /** Reads an image from the OS clipboard in Rust (nothing crosses but the result). */
  addFromClipboard: () => call<TokenView>("add_from_clipboard"),
  provisionOnline: (activationCode: string | null) =>
    call<TokenView>("provision_online", { activationCode }),
  deleteToken: (id: string) => call<void>("delete_token", { id }),
  /** Copies the token's current code to the OS clipboard (in Rust) and clears it later. */
  copyCode: (id: string) => call<CopyResult>("copy_code", { id }),
  /** An SVG document: a QR of the serial number (not of any secret). */
  serialQr: (id: string) => call<string>("serial_qr", { id }),
  setSettings: (settings: Settings) => call<Settings>("set_settings", { settings }),
  checkClock: () => call<ClockCheck>("check_clock"),
  /** Asks the OS to check the customer (fingerprint, face or screen lock) and opens the app. */
  unlockApp: () => call<Unlocked>("unlock_app"),
  /** Turns the app lock on or off, after the OS's check. */
  setAppLock: (enabled: boolean) => call<Settings>("set_app_lock", { enabled }),
  /** The activation link waiting for confirmation, or null. A link that cannot be used fails with its reason. */
  pendingLink: () => call<LinkView | null>("pending_link"),
  /** Provisions from the waiting link (the customer said yes). */
  acceptLink: () => call<TokenView>("accept_link"),
  dismissLink: () => call<void>("dismiss_link"),
  /** Phones: opens the camera (under a transparent page) and adds the token of the first QR code it reads. */
  scanQr: () => call<TokenView>("scan_qr"),
  cancelScan: () => call<void>("cancel_scan"),
  /** Tells Rust the first code is on screen, with the page's milestones (startup-bench builds only). */
  firstPaint: (marks: PaintMarks) => call<void>("first_paint", { marks }),
};
