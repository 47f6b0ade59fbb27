// The code screen (ワンタイムパスワード): every token's current code, a countdown ring, the next code in the last
// seconds, copy on click / Ctrl+C (done by Rust), serial and delete buttons.
//
// Time: the app's clock is Date.now() + offset, where offset = codes.nowMs - Date.now() when codes arrive (so the
// tester clock shift and any IPC delay are included). One setTimeout drives everything: it fires at the next
// second boundary of the app's clock, or exactly at the earliest validUntilMs when that comes first. At a flip the
// next code (already here) is shown at once, then api.codes() is asked for fresh ones. The DOM is touched once per
// second, and only where something changed; nothing runs while the window is hidden.
import { api, type CodeView, type Codes, type TokenView } from "../ipc";
import type { Cleanup, Ctx } from "../app";
import {
  button,
  groupCode,
  h,
  icon,
  ICONS,
  showError,
  svg,
  toast,
  tokenTitle,
  whileBusy,
} from "../dom";
import { openDeleteDialog } from "./deleteDialog";

/** The token list and the codes, and when the codes arrived (Date.now()), which anchors the screen's clock. */
export interface CodesAnswer {
  tokens: TokenView[];
  codes: Codes;
  arrivedMs: number;
}

/** Asks Rust for the token list and the codes. */
export function askCodes(): Promise<CodesAnswer> {
  const codes = api.codes().then((c) => ({ codes: c, arrivedMs: Date.now() }));
  return Promise.all([api.listTokens(), codes]).then(([tokens, c]) => ({ tokens, ...c }));
}

const RING_R = 21;
const RING_C = 2 * Math.PI * RING_R;
/** The last seconds of a step: ring colour changes and the next code is shown. */
const URGENT_SECONDS = 5;

interface Row {
  token: TokenView;
  cv: CodeView | null;
  el: HTMLElement;
  codeEl: HTMLButtonElement;
  seconds: HTMLElement | null;
  ring: HTMLElement | null;
  ringFg: SVGCircleElement | null;
  next: HTMLElement | null;
  nextVal: HTMLElement | null;
  prev: HTMLElement | null;
  prevVal: HTMLElement | null;
  /** What is on screen now, to touch the DOM only on change. */
  shown: { code?: string | null; left?: number; next?: string | null; nextOn?: boolean; prev?: string | null };
}

export function renderCodes(ctx: Ctx, root: HTMLElement): Cleanup {
  const tester = ctx.state.testerAvailable && ctx.state.settings.testerMode;
  let alive = true;
  let rows: Row[] = [];
  let offset = 0;
  let timer: number | undefined;
  let refreshing: Promise<void> | null = null;
  let selectedId: string | null = null;
  let closeDialog: (() => void) | null = null;

  const errorSlot = h("div", { class: "error-slot" });
  const list = h("div", { class: "tokens" });
  const loading = h("p", { class: "loading", i18n: "loading" });
  root.append(h("h1", { class: "sr-only", i18n: "codes_title" }), errorSlot, loading, list);

  const appNow = () => Date.now() + offset;

  // -------------------------------------------------------------------------------------------------------------

  async function load() {
    try {
      performance.mark("codes-asked"); // the start-up's mark, when there was one, is the first and counts
      const { tokens, codes, arrivedMs } = await (ctx.takeFirstCodes() ?? askCodes());
      performance.mark("codes-answered");
      if (!alive) return;
      loading.remove();
      build(tokens);
      apply(codes, false, arrivedMs);
      ctx.firstPaint();
    } catch (e) {
      if (!alive) return;
      loading.remove();
      showError(errorSlot, e);
      errorSlot.append(button("retry", { on: { click: () => ctx.go("codes") } }));
    }
  }

  function build(tokens: TokenView[]) {
    rows = tokens.map(makeRow);
    list.className = `tokens ${tokens.length === 1 ? "single" : "multi"}`;
    if (tokens.length === 0) {
      list.replaceChildren(
        h(
          "div",
          { class: "empty", testid: "empty" },
          icon(...ICONS.key),
          h("h2", { i18n: "codes_empty_title" }),
          h("p", { i18n: "codes_empty_body" }),
          button("codes_empty_button", { kind: "primary", icon: ICONS.plus, on: { click: () => ctx.go("add") } }),
        ),
      );
      return;
    }
    list.replaceChildren(...rows.map((r) => r.el));
  }

  function makeRow(token: TokenView): Row {
    const totp = token.kind === "totp";
    const codeEl = h("button", {
      class: "code",
      testid: "code",
      text: totp ? groupCode("·".repeat(token.digits)) : "",
      attrs: { type: "button", "data-code": "" },
    });
    const hint = h("p", { class: "hint", i18n: "code_copy_hint", attrs: { id: `hint-${token.id}` } });
    codeEl.setAttribute("aria-describedby", hint.id);

    const names = h(
      "div",
      { class: "token-names" },
      h("p", { class: "issuer", text: tokenTitle(token) }),
      token.issuer && token.account ? h("p", { class: "account", text: token.account }) : null,
    );

    const row: Row = {
      token,
      cv: null,
      el: h("article", { class: `token kind-${token.kind}`, testid: "token", attrs: { "data-id": token.id } }),
      codeEl,
      seconds: null,
      ring: null,
      ringFg: null,
      next: null,
      nextVal: null,
      prev: null,
      prevVal: null,
      shown: {},
    };

    // The card is flat (names, code, hint, ring, extra, actions): the CSS grid places them for one token or a list.
    let side: HTMLElement;
    if (totp) {
      row.ringFg = svg("circle", {
        class: "ring-fg",
        cx: 24,
        cy: 24,
        r: RING_R,
        "stroke-dasharray": RING_C.toFixed(2),
        "stroke-dashoffset": 0,
        transform: "rotate(-90 24 24)",
      });
      row.seconds = h("span", { class: "seconds", testid: "seconds" });
      row.ring = h(
        "div",
        { class: "ring", attrs: { role: "timer" } },
        svg(
          "svg",
          { viewBox: "0 0 48 48", "aria-hidden": "true", focusable: "false" },
          svg("circle", { class: "ring-bg", cx: 24, cy: 24, r: RING_R }),
          row.ringFg,
        ),
        row.seconds,
        h("span", { class: "sr-only", i18n: "seconds_unit" }),
      );
      side = row.ring;
    } else {
      // HOTP: a code only on request (each press moves the counter).
      codeEl.hidden = true;
      hint.hidden = true;
      const show = button("hotp_show", { kind: "primary", testid: "hotp-show" });
      show.addEventListener("click", () => {
        whileBusy(row.el, show, () => api.hotpNext(token.id)).then(
          (code) => {
            codeEl.textContent = groupCode(code);
            codeEl.dataset.code = code;
            codeEl.hidden = false;
            selectedId = token.id;
          },
          (err) => showError(errorSlot, err),
        );
      });
      side = h("div", { class: "hotp" }, show);
    }

    const extra = h("div", { class: "token-extra" });
    if (!totp) extra.append(h("p", { class: "hotp-note muted small", i18n: "hotp_note" }));
    if (totp) {
      row.nextVal = h("span", { class: "v" });
      row.next = h(
        "p",
        { class: "next-code off", testid: "next-code", attrs: { "aria-hidden": "true" } },
        h("span", { class: "k", i18n: "next_code" }),
        " ",
        row.nextVal,
      );
      extra.append(row.next);
      if (tester) {
        row.prevVal = h("span", { class: "v" });
        row.prev = h(
          "p",
          { class: "prev-code", testid: "prev-code" },
          h("span", { class: "k", i18n: "prev_code" }),
          " ",
          row.prevVal,
        );
        extra.append(row.prev);
      }
    }

    const actions = h(
      "div",
      { class: "token-actions" },
      button("token_serial", {
        kind: "ghost",
        testid: "token-serial-btn",
        icon: ICONS.hash,
        on: { click: () => ctx.go("serial", { token, added: false }) },
      }),
      button("token_delete", {
        kind: "ghost",
        class: "btn-ghost-danger",
        testid: "token-delete-btn",
        icon: ICONS.trash,
        on: {
          click: () => {
            closeDialog = openDeleteDialog(token, () => {
              closeDialog = null;
              toast("deleted");
              ctx.go("codes");
            });
          },
        },
      }),
    );

    codeEl.addEventListener("click", () => void copy(row));
    row.el.addEventListener("pointerdown", () => {
      selectedId = token.id;
    });
    row.el.append(names, codeEl, hint, side, extra, actions);
    return row;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Codes and time.

  /** `arrivedMs`: when `codes` came (the app's clock is anchored there, not at a later use of them). */
  function apply(codes: Codes, reloaded = false, arrivedMs = Date.now()) {
    offset = codes.nowMs - arrivedMs;
    let unknown = false;
    for (const cv of codes.codes) {
      const row = rows.find((r) => r.token.id === cv.id);
      if (row) row.cv = cv;
      else unknown = true;
    }
    // A token added elsewhere (say, by the CLI on the same store): list the tokens again, once.
    if (unknown && !reloaded) {
      api.listTokens().then(
        (tokens) => {
          if (!alive) return;
          build(tokens);
          apply(codes, true, arrivedMs);
        },
        () => undefined,
      );
    }
    tick();
  }

  /** Paints every row for the app's current time, flips what has expired, and sets the one timer. */
  function tick() {
    window.clearTimeout(timer);
    timer = undefined;
    if (!alive) return;
    const now = appNow();
    let wake = Infinity;
    let flipped = false;
    for (const row of rows) {
      const cv = row.cv;
      if (!cv || cv.validUntilMs === null || !cv.period) continue;
      if (now >= cv.validUntilMs) {
        row.cv = flip(cv, now);
        flipped = true;
      }
      paint(row, now);
      wake = Math.min(wake, row.cv!.validUntilMs!);
    }
    if (wake !== Infinity && !document.hidden) {
      const nextSecond = Math.floor(now / 1000) * 1000 + 1000;
      const at = Math.min(wake, nextSecond);
      timer = window.setTimeout(tick, Math.max(1, at - appNow()));
    }
    if (flipped) void refresh();
  }

  /** The step ended: the next code becomes the current one now, without waiting for Rust. */
  function flip(cv: CodeView, now: number): CodeView {
    const periodMs = cv.period! * 1000;
    const missed = Math.floor((now - cv.validUntilMs!) / periodMs);
    const validUntilMs = cv.validUntilMs! + (missed + 1) * periodMs;
    if (missed === 0 && cv.nextCode) {
      return {
        ...cv,
        prevCode: tester ? cv.code : null,
        code: cv.nextCode,
        codeGrouped: cv.nextCodeGrouped,
        nextCode: null,
        nextCodeGrouped: null,
        validUntilMs,
      };
    }
    // More than one step went by (the machine slept): nothing valid to show until Rust answers.
    return { ...cv, prevCode: null, code: null, codeGrouped: null, nextCode: null, nextCodeGrouped: null, validUntilMs };
  }

  function paint(row: Row, now: number) {
    const cv = row.cv!;
    const { shown } = row;
    if (cv.code !== shown.code) {
      shown.code = cv.code;
      row.codeEl.textContent = cv.code ? cv.codeGrouped ?? groupCode(cv.code) : groupCode("·".repeat(row.token.digits));
      row.codeEl.dataset.code = cv.code ?? "";
      row.codeEl.classList.toggle("stale", !cv.code);
    }
    const left = Math.max(0, Math.ceil((cv.validUntilMs! - now) / 1000));
    if (left !== shown.left) {
      shown.left = left;
      row.seconds!.textContent = String(left);
      row.ringFg!.setAttribute("stroke-dashoffset", (RING_C * (1 - Math.min(1, left / cv.period!))).toFixed(2));
      row.el.classList.toggle("urgent", left <= URGENT_SECONDS);
    }
    const nextOn = tester || left <= URGENT_SECONDS;
    const next = cv.nextCode;
    if (next !== shown.next) {
      shown.next = next;
      row.nextVal!.textContent = next ? cv.nextCodeGrouped ?? groupCode(next) : "···";
      row.next!.dataset.code = next ?? "";
    }
    if (nextOn !== shown.nextOn) {
      shown.nextOn = nextOn;
      row.next!.classList.toggle("off", !nextOn);
      row.next!.setAttribute("aria-hidden", String(!nextOn));
      row.el.classList.toggle("next-on", nextOn);
    }
    if (row.prev && cv.prevCode !== shown.prev) {
      shown.prev = cv.prevCode;
      row.prevVal!.textContent = cv.prevCode ? groupCode(cv.prevCode) : "···";
      row.prev.dataset.code = cv.prevCode ?? "";
    }
  }

  function refresh(): Promise<void> {
    if (!refreshing) {
      refreshing = api
        .codes()
        .then(
          (codes) => {
            if (!alive) return;
            errorSlot.replaceChildren();
            apply(codes);
          },
          (err) => {
            if (alive) showError(errorSlot, err);
          },
        )
        .finally(() => {
          refreshing = null;
        });
    }
    return refreshing;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Copy (Rust writes the clipboard and clears it later).

  async function copy(row: Row) {
    selectedId = row.token.id;
    if (!row.codeEl.dataset.code) return;
    try {
      const result = await api.copyCode(row.token.id);
      if (result.clearAfterSeconds > 0) toast("copied", { n: result.clearAfterSeconds });
      else toast("copied_no_clear");
    } catch (err) {
      showError(errorSlot, err);
    }
  }

  function onKey(e: KeyboardEvent) {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey || e.key.toLowerCase() !== "c") return;
    if (document.querySelector("dialog[open]")) return;
    const active = document.activeElement;
    if (active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement) return;
    // A text selection (say, the issuer's name) is copied the usual way.
    const selection = window.getSelection();
    if (selection && !selection.isCollapsed && selection.toString().trim()) return;
    const row =
      rows.find((r) => active instanceof Node && r.el.contains(active)) ??
      rows.find((r) => r.token.id === selectedId) ??
      (rows.length === 1 ? rows[0] : undefined);
    if (!rows.length) return;
    e.preventDefault();
    if (!row) toast("copy_pick");
    else void copy(row);
  }

  function onVisibility() {
    if (document.hidden) {
      window.clearTimeout(timer);
      timer = undefined;
    } else {
      tick();
      void refresh();
    }
  }

  document.addEventListener("keydown", onKey);
  document.addEventListener("visibilitychange", onVisibility);
  void load();

  return () => {
    alive = false;
    window.clearTimeout(timer);
    document.removeEventListener("keydown", onKey);
    document.removeEventListener("visibilitychange", onVisibility);
    if (closeDialog) closeDialog();
  };
}
