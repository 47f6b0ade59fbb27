// The UI's screens as the IPC mock shows them (ui/dev/mock.html): a query string, the screen it lands on, and what
// to do there (desktopOnly: tester mode, which phone builds do not offer). Shared by dev/shots.mjs (screenshots) and
// dev/check.mjs (axe-core and the phone checks).

/** Opens a scenario in `page` and waits until its screen is drawn. */
export async function show(page, base, sc, lang) {
  await page.goto(`${base}?${sc.q}&lang=${lang}`);
  await page.waitForSelector(`body[data-screen="${sc.screen ?? "codes"}"]`);
  if (!sc.screen) await page.waitForSelector('[data-testid="code"][data-code]:not([data-code=""]), [data-testid="empty"]');
  if (sc.act) await sc.act(page);
  await page.waitForTimeout(150);
}

export const scenarios = {
  "codes-1": { q: "tokens=1" },
  "codes-3": { q: "tokens=3" },
  "codes-tester": { q: "tokens=1&tester=1&shift=30", desktopOnly: true },
  "codes-empty": { q: "tokens=0" },
  "codes-urgent-1": { q: "tokens=1&phase=26" },
  "codes-urgent-3": { q: "tokens=3&phase=26" },
  "codes-tester-3": { q: "tokens=3&tester=1&shift=-5", desktopOnly: true },
  "vault-new": { q: "storage=none", screen: "vault" },
  "vault-unlock-error": {
    q: "storage=none&vault=1",
    screen: "vault",
    act: async (p) => {
      await p.fill('[data-testid="vault-passphrase"]', "wrong one");
      await p.click('[data-testid="vault-submit"]');
      await p.waitForSelector('[data-testid="error"]');
    },
  },
  serial: {
    q: "tokens=1",
    act: async (p) => {
      await p.click('[data-testid="token-serial-btn"]');
      await p.waitForSelector('[data-testid="serial-qr"][src]');
    },
    full: true,
  },
  add: { q: "tokens=1", act: async (p) => p.click('[data-testid="nav-add"]'), full: true },
  "add-error": {
    q: "tokens=1",
    act: async (p) => {
      await p.click('[data-testid="nav-add"]');
      await p.fill('[data-testid="manual-secret"]', "JBSW Y3DP");
      await p.click('[data-testid="manual-submit"]');
      await p.waitForSelector('[data-testid="error"]');
      await p.locator('[data-testid="error"]').scrollIntoViewIfNeeded();
    },
  },
  settings: {
    q: "tokens=1&clock=bad",
    act: async (p) => {
      await p.click('[data-testid="nav-settings"]');
      await p.click('[data-testid="clock-check"]');
      await p.waitForSelector('[data-testid="clock-result"]:not([hidden])');
    },
    full: true,
  },
  delete: {
    q: "tokens=3",
    act: async (p) => {
      await p.locator('[data-testid="token-delete-btn"]').first().click();
      await p.waitForSelector('[data-testid="delete-dialog"]');
    },
  },
};
