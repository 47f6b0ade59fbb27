// What screens share: the app's state and the ways to move between screens. main.ts implements it.
import type { AppError, AppState, LinkView, Settings, TokenView } from "./ipc";
import type { CodesAnswer } from "./screens/codes";

export type ScreenName = "lock" | "vault" | "codes" | "serial" | "add" | "settings" | "link" | "scan";

export interface SerialArg {
  token: TokenView;
  /** True when the token was just added (the screen then says so). */
  added: boolean;
}

/** The link screen shows a waiting link, or why the link that arrived cannot be used. */
export type LinkArg = { link: LinkView } | { error: AppError };

export interface Ctx {
  /** The latest AppState (settings are replaced after every save). */
  state: AppState;
  go(name: "serial", arg: SerialArg): void;
  go(name: "link", arg: LinkArg): void;
  go(name: Exclude<ScreenName, "serial" | "link">): void;
  /**
   * Where the app goes when nothing else asks: the lock screen, the vault screen, a waiting activation link, or the
   * codes.
   */
  home(): Promise<void>;
  /** Takes saved settings into use: language, tester banner. */
  applySettings(settings: Settings): void;
  /**
   * The token list and codes asked for at start-up, beside the app state; the first code screen takes them (once),
   * later ones ask anew.
   */
  takeFirstCodes(): Promise<CodesAnswer> | undefined;
  /** Called when codes are on screen: tells Rust once, two frames later, in startup-bench builds only. */
  firstPaint(): void;
}

/** A screen draws itself into `root` and returns what to undo when it is left (timers, listeners). */
export type Cleanup = () => void;
