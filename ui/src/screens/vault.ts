// The vault screen: the OS keychain cannot be used, so tokens live in a file encrypted with a passphrase.
// An existing file is unlocked with one field; a new one needs the new passphrase twice (8 characters or more).
import { api } from "../ipc";
import type { Cleanup, Ctx } from "../app";
import { button, clearErrors, field, h, icon, ICONS, showError, uiError, whileBusy } from "../dom";

const MIN_PASSPHRASE = 8;

export function renderVault(ctx: Ctx, root: HTMLElement): Cleanup {
  const exists = ctx.state.vaultExists;
  const keychainError = ctx.state.keychainError;

  const pass = h("input", {
    testid: "vault-passphrase",
    attrs: {
      type: "password",
      autocomplete: exists ? "current-password" : "new-password",
      required: true,
      spellcheck: "false",
      autocapitalize: "off",
    },
  });
  const pass2 = exists
    ? null
    : h("input", {
        testid: "vault-passphrase2",
        attrs: { type: "password", autocomplete: "new-password", required: true, spellcheck: "false", autocapitalize: "off" },
      });
  const submit = button(exists ? "vault_unlock" : "vault_create", {
    kind: "primary",
    type: "submit",
    testid: "vault-submit",
    icon: ICONS.lock,
    class: "btn-block",
  });
  const errorSlot = h("div", { class: "error-slot" });

  const form = h(
    "form",
    { class: "card form", attrs: { novalidate: true } },
    h("p", { i18n: exists ? "vault_unlock_intro" : "vault_create_intro" }),
    field(exists ? "vault_passphrase" : "vault_passphrase_new", pass),
    pass2 ? field("vault_passphrase2", pass2) : null,
    errorSlot,
    submit,
  );

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    clearErrors();
    const p = pass.value;
    if (!p) {
      showError(errorSlot, uiError("passphrase_required"));
      pass.focus();
      return;
    }
    if (pass2) {
      if ([...p].length < MIN_PASSPHRASE) {
        showError(errorSlot, uiError("passphrase_too_short"));
        pass.focus();
        return;
      }
      if (p !== pass2.value) {
        showError(errorSlot, uiError("passphrase_mismatch"));
        pass2.value = "";
        pass2.focus();
        return;
      }
    }
    whileBusy(form, submit, () => api.unlockVault(p)).then(
      (state) => {
        pass.value = "";
        if (pass2) pass2.value = "";
        ctx.state = state;
        ctx.applySettings(state.settings);
        void ctx.home();
      },
      (err) => {
        showError(errorSlot, err);
        pass.select();
        pass.focus();
      },
    );
  });

  root.append(
    h(
      "div",
      { class: "narrow" },
      h("div", { class: "screen-head" }, icon(...ICONS.lock), h("h1", { class: "screen-title", i18n: "vault_title" })),
      h(
        "div",
        { class: "notice" },
        icon(...ICONS.info),
        h(
          "div",
          {},
          h("p", { i18n: "vault_keychain_unavailable" }),
          keychainError
            ? h(
                "details",
                { class: "error-detail" },
                h("summary", { i18n: "vault_technical_details" }),
                h("p", { text: `${keychainError.message} [${keychainError.code}]` }),
              )
            : null,
        ),
      ),
      h("p", { class: "lead", i18n: "vault_file_explain" }),
      form,
    ),
  );
  pass.focus();
  return () => {
    pass.value = "";
    if (pass2) pass2.value = "";
  };
}
