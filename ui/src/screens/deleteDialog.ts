// The delete confirmation, worded as the bank guides warn: a token the bank still uses must not be deleted; for a
// new phone the new token is registered first (交換), to stop using it the customer stops it first (利用停止); and
// deleting cannot be undone (the seed is erased, the bank must reissue).
import { api, type TokenView } from "../ipc";
import { button, h, icon, ICONS, showError, tokenTitle, whileBusy } from "../dom";

/** Opens the dialog; `onDeleted` runs after Rust deleted the token. Returns a function that closes it. */
export function openDeleteDialog(token: TokenView, onDeleted: () => void): () => void {
  let busy = false;
  const errorSlot = h("div", { class: "error-slot" });
  const cancel = button("delete_cancel", { kind: "secondary", testid: "delete-cancel" });
  const confirm = button("delete_confirm", { kind: "danger", testid: "delete-confirm", icon: ICONS.trash });
  const titleId = `del-title-${token.id}`;

  // An overlay of our own rather than <dialog>.showModal(): WebKitGTK stops painting while a modal <dialog> is
  // open under WebDriver, and older mobile WebViews lack it. Focus is kept inside by hand, Escape cancels.
  const dlg = h(
    "div",
    {
      class: "dialog",
      testid: "delete-dialog",
      attrs: { role: "alertdialog", "aria-modal": "true", "aria-labelledby": titleId },
    },
    h("h2", { class: "dialog-title", i18n: "delete_title", attrs: { id: titleId } }),
    h("p", { i18n: "delete_lead" }),
    h(
      "div",
      { class: "dialog-token" },
      h("p", { class: "dialog-token-name", text: tokenTitle(token) }),
      token.issuer && token.account ? h("p", { class: "muted", text: token.account }) : null,
      token.serial
        ? h(
            "p",
            { class: "dialog-token-serial" },
            h("span", { class: "muted", i18n: "delete_serial" }),
            " ",
            h("span", { class: "mono", text: token.serialDisplay ?? token.serial }),
          )
        : null,
    ),
    h(
      "div",
      { class: "warning" },
      h("p", { class: "warning-title" }, icon(...ICONS.alert), h("span", { i18n: "delete_warn_title" })),
      h(
        "ul",
        {},
        h("li", { i18n: "delete_warn_inuse" }),
        h("li", { i18n: "delete_warn_exchange" }),
        h("li", { i18n: "delete_warn_stop" }),
        h("li", { class: "strong", i18n: "delete_warn_final" }),
      ),
    ),
    errorSlot,
    h("div", { class: "dialog-actions" }, cancel, confirm),
  );

  const backdrop = h("div", { class: "dialog-backdrop" }, dlg);
  const previousFocus = document.activeElement as HTMLElement | null;
  const close = () => {
    document.removeEventListener("keydown", onKey, true);
    backdrop.remove();
    previousFocus?.focus?.();
  };
  function onKey(e: KeyboardEvent) {
    if (e.key === "Escape" && !busy) {
      e.preventDefault();
      close();
    } else if (e.key === "Tab") {
      // Keep focus on the two buttons.
      e.preventDefault();
      (document.activeElement === cancel ? confirm : cancel).focus();
    }
  }
  document.addEventListener("keydown", onKey, true);
  cancel.addEventListener("click", () => {
    if (!busy) close();
  });
  confirm.addEventListener("click", () => {
    busy = true;
    whileBusy(dlg, confirm, () => api.deleteToken(token.id))
      .then(
        () => {
          close();
          onDeleted();
        },
        (err) => showError(errorSlot, err),
      )
      .finally(() => {
        busy = false;
      });
  });

  document.body.append(backdrop);
  cancel.focus();
  return close;
}
