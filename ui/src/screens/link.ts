// An activation link from outside (トークンの発行の確認): the token service's host in large type, and the customer's
// yes before anything is sent. A host other than the configured service gets a warning, and then the safe choice
// (Cancel) is the first button. The link's activation code never comes here: it waits in Rust.
import { api, type AppError, type LinkView } from "../ipc";
import type { Cleanup, Ctx, LinkArg } from "../app";
import { button, clearErrors, h, icon, ICONS, showError, whileBusy } from "../dom";

export function renderLink(ctx: Ctx, root: HTMLElement, arg: LinkArg): Cleanup {
  let alive = true;
  const slot = h("div", { class: "error-slot" });
  const leave = () => {
    void api.dismissLink().catch(() => undefined);
    void ctx.home();
  };

  if ("error" in arg) {
    root.append(
      h(
        "section",
        { class: "card", testid: "link-refused" },
        h("h1", { class: "screen-title", i18n: "link_refused_title" }),
        slot,
        h("div", { class: "actions" }, button("link_close", { kind: "primary", testid: "link-close", on: { click: () => void ctx.home() } })),
      ),
    );
    showError(slot, arg.error as AppError);
    return () => undefined;
  }

  const link: LinkView = arg.link;
  const proceed = button(link.known ? "link_continue" : "link_continue_anyway", {
    kind: link.known ? "primary" : "danger",
    testid: "link-continue",
  });
  const cancel = button("link_cancel", { kind: link.known ? "secondary" : "primary", testid: "link-cancel", on: { click: leave } });
  proceed.addEventListener("click", () => {
    clearErrors();
    whileBusy(root, proceed, () => api.acceptLink()).then(
      (token) => {
        if (alive) ctx.go("serial", { token, added: true });
      },
      (err) => {
        if (alive) showError(slot, err);
      },
    );
  });

  const verdict = link.known
    ? h("p", { class: "link-known", testid: "link-known" }, icon(...ICONS.check), h("span", { i18n: "link_known" }))
    : h(
        "div",
        { class: "warning", testid: "link-warning", attrs: { role: "alert" } },
        icon(...ICONS.alert),
        h("p", { i18n: "link_warning", args: { expected: link.expectedHost } }),
      );

  root.append(
    h(
      "section",
      { class: `card link-card ${link.known ? "known" : "unknown"}`, testid: "link-screen", attrs: { "data-known": String(link.known) } },
      h("h1", { class: "screen-title", i18n: "link_title" }),
      h("p", { i18n: "link_intro" }),
      h("p", { class: "link-host", testid: "link-host", text: link.host }),
      h(
        "p",
        { class: "link-server muted small" },
        h("span", { i18n: "link_server" }),
        " ",
        h("span", { class: "mono", testid: "link-server", text: link.server }),
      ),
      verdict,
      slot,
      h("div", { class: "actions stacked" }, ...(link.known ? [proceed, cancel] : [cancel, proceed])),
    ),
  );
  return () => {
    alive = false;
  };
}
