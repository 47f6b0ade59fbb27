// The camera scan (phones, QRコードの読み取り). Rust opens the camera under this page, which turns transparent and
// draws only a frame, a hint and Cancel. The QR's text stays in Rust and takes the same path as a pasted link; what
// comes back here is the new token's metadata.
import { api } from "../ipc";
import type { Cleanup, Ctx } from "../app";
import { button, h, showError } from "../dom";

export function renderScan(ctx: Ctx, root: HTMLElement): Cleanup {
  let alive = true;
  let scanning = true;
  const html = document.documentElement;
  html.classList.add("scanning");
  const slot = h("div", { class: "error-slot" });
  const stop = () => {
    html.classList.remove("scanning");
    if (scanning) void api.cancelScan().catch(() => undefined);
    scanning = false;
  };
  const cancel = button("scan_cancel", {
    kind: "secondary",
    testid: "scan-cancel",
    class: "btn-block",
    on: {
      click: () => {
        stop();
        ctx.go("add");
      },
    },
  });
  root.append(
    h(
      "section",
      { class: "scan", testid: "scan-screen" },
      h("h1", { class: "screen-title", i18n: "scan_title" }),
      h("div", { class: "viewfinder", attrs: { "aria-hidden": "true" } }),
      h("p", { class: "scan-hint", i18n: "scan_hint" }),
      slot,
      cancel,
    ),
  );
  api.scanQr().then(
    (token) => {
      scanning = false;
      html.classList.remove("scanning");
      if (alive) ctx.go("serial", { token, added: true });
    },
    (err) => {
      scanning = false;
      html.classList.remove("scanning");
      if (!alive) return;
      if (err?.code === "scan_cancelled") ctx.go("add");
      else showError(slot, err);
    },
  );
  return () => {
    alive = false;
    stop();
  };
}
