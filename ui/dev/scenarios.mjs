// The UI's screens as the IPC mock shows them (ui/dev/mock.html): a query string, the screen it lands on, and what
// to do there (desktopOnly: tester mode, which phone builds do not offer; phoneOnly: the camera scan and the app
// lock, which this desktop build does not offer). Shared by dev/shots.mjs (screenshots) and dev/check.mjs (axe-core
// and the phone checks). On a phone, every scenario runs as a phone build (phone=1).

/** Opens a scenario in `page` (as a phone build when `phone`) and waits until its screen is drawn. */
export async function show(page, base, sc, lang, phone = false) {
  await page.goto(`${base}?${sc.q}&lang=${lang}${phone ? "&phone=1" : ""}`);
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
  lock: { q: "tokens=1&lock=1", screen: "lock", phoneOnly: true },
  "link-known": { q: "tokens=1&link=known", screen: "link" },
  "link-unknown": { q: "tokens=1&link=unknown", screen: "link" },
  "link-refused": { q: "tokens=1&link=bad", screen: "link" },
  scan: {
    q: "tokens=1",
    phoneOnly: true,
    act: async (p) => {
      await p.click('[data-testid="nav-add"]');
      await p.click('[data-testid="add-scan"]');
      await p.waitForSelector("body[data-screen=scan]");
    },
  },
  delete: {
    q: "tokens=3",
    act: async (p) => {
      await p.locator('[data-testid="token-delete-btn"]').first().click();
      await p.waitForSelector('[data-testid="delete-dialog"]');
    },
  },
};
