// The serial screen (シリアル番号): what the customer types into internet banking to register the token (利用登録)
// or to move to it from an old phone (交換), with the guides' steps. Every way of adding a token ends here.
import { api } from "../ipc";
import type { Cleanup, Ctx, SerialArg } from "../app";
import { button, h, icon, ICONS, showError, toast, tokenTitle } from "../dom";

export function renderSerial(ctx: Ctx, root: HTMLElement, arg: SerialArg): Cleanup {
  const { token, added } = arg;
  let alive = true;
  const errorSlot = h("div", { class: "error-slot" });
  const done = button("serial_done", {
    kind: "primary",
    testid: "serial-done",
    class: "btn-block",
    on: { click: () => ctx.go("codes") },
  });

  const head = h(
    "div",
    { class: "screen-head" },
    icon(...(added ? ICONS.check : ICONS.hash)),
    h("h1", { class: "screen-title", i18n: added ? "serial_added" : "serial_title" }),
  );
  if (added) head.classList.add("success");

  const names = h(
    "div",
    { class: "serial-names" },
    h("p", { class: "issuer", text: tokenTitle(token) }),
    token.issuer && token.account ? h("p", { class: "account", text: token.account }) : null,
  );

  const parts: Array<Node | null> = [head];
  if (added && token.serial) parts.push(h("p", { class: "lead", i18n: "serial_added_body" }));

  if (!token.serial) {
    parts.push(
      h("section", { class: "card serial-card" }, names, h("p", { class: "serial-none", testid: "serial-none", i18n: "serial_none" })),
      errorSlot,
      done,
    );
    root.append(h("div", { class: "narrow" }, ...parts));
    done.focus();
    return () => undefined;
  }

  const serialText = token.serialDisplay ?? token.serial;
  const serialEl = h("p", {
    class: "serial",
    testid: "serial",
    text: serialText,
    attrs: { "data-serial": token.serial, tabindex: 0 },
  });
  const copyBtn = button("serial_copy", { kind: "secondary", testid: "serial-copy", icon: ICONS.copy });
  copyBtn.addEventListener("click", () => {
    const select = () => {
      const range = document.createRange();
      range.selectNodeContents(serialEl);
      const sel = window.getSelection();
      sel?.removeAllRanges();
      sel?.addRange(range);
      serialEl.focus();
      toast("serial_selected");
    };
    if (!navigator.clipboard?.writeText) {
      select();
      return;
    }
    navigator.clipboard.writeText(token.serial ?? serialText).then(() => toast("serial_copied"), select);
  });

  const qr = h("img", {
    class: "qr",
    testid: "serial-qr",
    i18nAttrs: { alt: "serial_qr_alt" },
    attrs: { width: 168, height: 168, decoding: "async" },
  });
  const qrBox = h("div", { class: "qr-box" }, qr);
  qrBox.hidden = true;
  api.serialQr(token.id).then(
    (svgText) => {
      if (!alive) return;
      qr.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svgText)}`;
      qrBox.hidden = false;
    },
    (err) => {
      if (alive) showError(errorSlot, err);
    },
  );

  parts.push(
    h(
      "section",
      { class: "card serial-card" },
      names,
      h("p", { class: "serial-label", i18n: "serial_label" }),
      serialEl,
      h("div", { class: "serial-tools" }, copyBtn),
      qrBox,
    ),
    errorSlot,
    h(
      "section",
      { class: "card steps" },
      h("h2", { i18n: "serial_steps_title" }),
      h("p", { class: "muted", i18n: "serial_steps_intro" }),
      h(
        "ol",
        {},
        h("li", { i18n: "serial_step1" }),
        h("li", { i18n: "serial_step2" }),
        h("li", { i18n: "serial_step3" }),
        h("li", { i18n: "serial_step4" }),
      ),
    ),
    h(
      "section",
      { class: "card exchange" },
      h("h2", { i18n: "serial_exchange_title" }),
      h("p", { i18n: "serial_exchange_body" }),
      h("p", { class: "warning-line" }, icon(...ICONS.alert), h("span", { i18n: "serial_exchange_warn" })),
    ),
    done,
  );
  root.append(h("div", { class: "narrow" }, ...parts));
  return () => {
    alive = false;
  };
}
