// The app lock's screen (ロック中): nothing of the tokens shows until the OS has checked the customer. Rust enforces
// it (every other command answers app_locked); this screen only asks for the check.
import { api } from "../ipc";
import type { Cleanup, Ctx } from "../app";
import { button, clearErrors, h, icon, ICONS, showError, toast, whileBusy } from "../dom";

export function renderLock(ctx: Ctx, root: HTMLElement): Cleanup {
  let alive = true;
  const slot = h("div", { class: "error-slot" });
  const unlock = button("lock_unlock", { kind: "primary", testid: "lock-unlock", icon: ICONS.lock, class: "btn-block" });
  unlock.addEventListener("click", () => {
    clearErrors();
    whileBusy(root, unlock, async () => {
      const result = await api.unlockApp();
      ctx.state = await api.appState();
      return result;
    }).then(
      (result) => {
        if (!alive) return;
        if (result.lockTurnedOff) toast("lock_turned_off", undefined, 8000);
        void ctx.home();
      },
      (err) => {
        if (alive) showError(slot, err);
      },
    );
  });
  root.append(
    h(
      "section",
      { class: "card center-card lock-screen", testid: "lock-screen" },
      h("div", { class: "big-icon" }, icon(...ICONS.lock)),
      h("h1", { class: "screen-title", i18n: "lock_title" }),
      h("p", { class: "muted", i18n: "lock_body" }),
      slot,
      unlock,
    ),
  );
  return () => {
    alive = false;
  };
}
