// The add screen (トークンの追加): online from the token service, a QR image (file, drop, paste, OS clipboard), an
// otpauth URI, or typed by hand. Each success goes to the new token's serial screen. Seeds only travel to Rust.
import { api, type ManualToken, type TokenView } from "../ipc";
import type { Cleanup, Ctx } from "../app";
import type { Key } from "../i18n";
import { button, clearErrors, field, h, icon, ICONS, showError, uiError, whileBusy } from "../dom";

/** Images larger than this are certainly not a QR screenshot: refused before crossing to Rust. */
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

export function renderAdd(ctx: Ctx, root: HTMLElement): Cleanup {
  let alive = true;
  let busy = false;

  // Runs an add call with the whole screen busy; success → the serial screen of the new token.
  function run(slot: HTMLElement, pressed: HTMLButtonElement | null, call: () => Promise<TokenView>) {
    if (busy) return;
    busy = true;
    clearErrors();
    whileBusy(root, pressed, call)
      .then(
        (token) => {
          if (alive) ctx.go("serial", { token, added: true });
        },
        (err) => {
          if (alive) showError(slot, err);
        },
      )
      .finally(() => {
        busy = false;
      });
  }

  function section(iconPaths: string[], titleKey: Key, bodyKey: Key, ...content: Node[]) {
    return h(
      "section",
      { class: "card add-section" },
      h("h2", { class: "section-title" }, icon(...iconPaths), h("span", { i18n: titleKey })),
      h("p", { class: "muted", i18n: bodyKey }),
      ...content,
    );
  }

  // (0) Camera (phones): the first choice. The scan screen runs it; Rust keeps the scanned text. ------------------
  const scanSection = ctx.state.scanAvailable
    ? h(
        "section",
        { class: "card add-section add-scan" },
        h("h2", { class: "section-title" }, icon(...ICONS.camera), h("span", { i18n: "add_scan_title" })),
        h("p", { class: "muted", i18n: "add_scan_body" }),
        h(
          "div",
          { class: "actions" },
          button("add_scan_button", {
            kind: "primary",
            testid: "add-scan",
            icon: ICONS.camera,
            class: "btn-block",
            on: { click: () => ctx.go("scan") },
          }),
        ),
      )
    : null;

  // (a) Online ---------------------------------------------------------------------------------------------------
  const onlineSlot = h("div", { class: "error-slot" });
  const activation = h("input", {
    testid: "add-online-activation",
    attrs: { type: "text", autocomplete: "off", spellcheck: "false", autocapitalize: "characters", inputmode: "text" },
  });
  const onlineSubmit = button("add_online_submit", {
    kind: "primary",
    type: "submit",
    testid: "add-online-submit",
    icon: ICONS.globe,
  });
  const onlineForm = h(
    "form",
    { class: "form", attrs: { novalidate: true } },
    h(
      "p",
      { class: "service-url" },
      h("span", { class: "muted", i18n: "add_online_service" }),
      " ",
      h("span", { class: "mono", text: ctx.state.settings.serviceUrl }),
    ),
    field("add_online_activation", activation),
    onlineSlot,
    h("div", { class: "actions" }, onlineSubmit),
  );
  onlineForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const code = activation.value.trim();
    run(onlineSlot, onlineSubmit, () => api.provisionOnline(code ? code : null));
  });

  // (b) QR image ---------------------------------------------------------------------------------------------------
  const imageSlot = h("div", { class: "error-slot" });
  const fileInput = h("input", {
    class: "sr-only file-input",
    testid: "add-image-input",
    attrs: { type: "file", accept: "image/png,image/jpeg" },
  });
  const drop = h(
    "label",
    { class: "drop-zone", attrs: { for: "add-image-input" } },
    icon(...ICONS.image),
    h("span", { class: "drop-main", i18n: "add_image_choose" }),
    h("span", { class: "drop-sub muted", i18n: "add_image_drop" }),
    h("span", { class: "drop-active", i18n: "add_image_dragging" }),
  );
  fileInput.id = "add-image-input";
  const clipboardBtn = button("add_clipboard", { kind: "secondary", testid: "add-clipboard", icon: ICONS.clipboard });

  async function addImage(file: File | null | undefined) {
    if (!file) return;
    if ((file.type && !/^image\/(png|jpeg)$/.test(file.type)) || file.size > MAX_IMAGE_BYTES) {
      clearErrors();
      showError(imageSlot, uiError("bad_image", `${file.name || "file"}: ${file.type || "unknown type"}, ${file.size} bytes`));
      return;
    }
    run(imageSlot, null, async () => api.addFromImage(new Uint8Array(await file.arrayBuffer())));
  }

  fileInput.addEventListener("change", () => {
    const file = fileInput.files?.[0];
    void addImage(file).finally(() => {
      fileInput.value = "";
    });
  });
  clipboardBtn.addEventListener("click", () => run(imageSlot, clipboardBtn, () => api.addFromClipboard()));

  // Drag-and-drop: onto the zone or anywhere on the window.
  let dragDepth = 0;
  const hasFiles = (e: DragEvent) => !!e.dataTransfer && [...e.dataTransfer.types].includes("Files");
  function onDragEnter(e: DragEvent) {
    if (!hasFiles(e)) return;
    dragDepth++;
    document.body.classList.add("dragging");
  }
  function onDragLeave(e: DragEvent) {
    if (!hasFiles(e)) return;
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) document.body.classList.remove("dragging");
  }
  function onDragOver(e: DragEvent) {
    if (!hasFiles(e)) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
  }
  function onDrop(e: DragEvent) {
    dragDepth = 0;
    document.body.classList.remove("dragging");
    const file = e.dataTransfer?.files?.[0];
    if (!file) return;
    e.preventDefault();
    void addImage(file);
  }

  // (c) otpauth URI -------------------------------------------------------------------------------------------------
  const uriSlot = h("div", { class: "error-slot" });
  const uriInput = h("textarea", {
    class: "mono",
    testid: "add-uri-input",
    attrs: { rows: 3, spellcheck: "false", autocomplete: "off", autocapitalize: "off", placeholder: "otpauth://totp/…" },
  });
  const uriSubmit = button("add_uri_submit", { kind: "primary", type: "submit", testid: "add-uri-submit", icon: ICONS.plus });
  const uriForm = h(
    "form",
    { class: "form", attrs: { novalidate: true } },
    field("add_uri_label", uriInput, undefined, true),
    uriSlot,
    h("div", { class: "actions" }, uriSubmit),
  );
  uriForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const uri = uriInput.value.trim();
    if (!uri) {
      clearErrors();
      showError(uriSlot, uiError("bad_uri", "empty"));
      uriInput.focus();
      return;
    }
    run(uriSlot, uriSubmit, () => api.addUri(uri));
  });

  // Paste anywhere on this screen: an image is read as a QR, an otpauth:// text fills the URI field.
  function onPaste(e: ClipboardEvent) {
    const data = e.clipboardData;
    if (!data || busy) return;
    const item = [...data.items].find((it) => it.kind === "file" && it.type.startsWith("image/"));
    if (item) {
      e.preventDefault();
      void addImage(item.getAsFile());
      return;
    }
    const text = data.getData("text/plain").trim();
    if (/^otpauth:\/\//i.test(text) && e.target !== uriInput) {
      e.preventDefault();
      uriInput.value = text;
      uriInput.focus();
    }
  }

  // (d) Manual -----------------------------------------------------------------------------------------------------
  const manualSlot = h("div", { class: "error-slot" });
  const text = (testid: string, attrs: Record<string, string | boolean> = {}) =>
    h("input", { testid, attrs: { type: "text", autocomplete: "off", spellcheck: "false", ...attrs } });
  const issuer = text("manual-issuer");
  const account = text("manual-account");
  const secret = text("manual-secret", { class: "mono", autocapitalize: "characters", required: true });
  const serial = text("manual-serial", { autocapitalize: "characters", placeholder: "SKTN 1234 5671" });
  const digits = h(
    "select",
    { testid: "manual-digits" },
    ...["6", "7", "8"].map((d) => h("option", { text: d, attrs: { value: d, selected: d === "6" } })),
  );
  const period = h("input", {
    testid: "manual-period",
    attrs: { type: "number", min: 1, max: 300, step: 1, value: 30, inputmode: "numeric" },
  });
  const algorithm = h(
    "select",
    { testid: "manual-algorithm" },
    ...["SHA1", "SHA256", "SHA512"].map((a) => h("option", { text: a, attrs: { value: a, selected: a === "SHA1" } })),
  );
  const manualSubmit = button("manual_submit", { kind: "primary", type: "submit", testid: "manual-submit", icon: ICONS.plus });
  const manualForm = h(
    "form",
    { class: "form", attrs: { novalidate: true } },
    h("div", { class: "grid-2" }, field("manual_issuer", issuer), field("manual_account", account)),
    field("manual_secret", secret),
    field("manual_serial", serial),
    h(
      "fieldset",
      { class: "details" },
      h("legend", { i18n: "manual_details" }),
      h(
        "div",
        { class: "grid-3" },
        field("manual_digits", digits),
        field("manual_period", period),
        field("manual_algorithm", algorithm),
      ),
    ),
    manualSlot,
    h("div", { class: "actions" }, manualSubmit),
  );
  manualForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const token: ManualToken = {
      issuer: issuer.value.trim(),
      account: account.value.trim(),
      secret: secret.value,
      digits: Number(digits.value),
      period: Number(period.value || "30"),
      algorithm: algorithm.value as ManualToken["algorithm"],
      serial: serial.value.trim() || null,
    };
    if (!Number.isInteger(token.period) || token.period < 1) {
      clearErrors();
      showError(manualSlot, uiError("bad_period", period.value));
      period.focus();
      return;
    }
    run(manualSlot, manualSubmit, () => api.addManual(token));
  });

  // -------------------------------------------------------------------------------------------------------------
  root.append(
    h("h1", { class: "screen-title", i18n: "add_title" }),
    ...(scanSection ? [scanSection] : []),
    section(ICONS.globe, "add_online_title", "add_online_body", onlineForm),
    section(
      ICONS.image,
      "add_image_title",
      "add_image_body",
      h("div", { class: "drop-wrap" }, fileInput, drop),
      h("div", { class: "actions" }, clipboardBtn),
      imageSlot,
    ),
    section(ICONS.link, "add_uri_title", "add_uri_body", uriForm),
    section(ICONS.pen, "add_manual_title", "add_manual_body", manualForm),
  );

  window.addEventListener("dragenter", onDragEnter);
  window.addEventListener("dragleave", onDragLeave);
  window.addEventListener("dragover", onDragOver);
  window.addEventListener("drop", onDrop);
  document.addEventListener("paste", onPaste);

  return () => {
    alive = false;
    secret.value = "";
    uriInput.value = "";
    document.body.classList.remove("dragging");
    window.removeEventListener("dragenter", onDragEnter);
    window.removeEventListener("dragleave", onDragLeave);
    window.removeEventListener("dragover", onDragOver);
    window.removeEventListener("drop", onDrop);
    document.removeEventListener("paste", onPaste);
  };
}
