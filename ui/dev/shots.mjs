// Dev only: screenshots of every screen through the IPC mock (ja/en, light/dark, phone/desktop).
//   (cd ui && npm run dev) &   then   node ui/dev/shots.mjs [filter]
// Uses playwright-core from tests/ib-browser and the system's Chromium. Shots go to /tmp/ui-shots/.
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";

const require = createRequire(new URL("../../tests/ib-browser/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const BASE = process.env.UI_URL ?? "http://127.0.0.1:1420/dev/mock.html";
const OUT = "/tmp/ui-shots";
const filter = process.argv[2] ?? "";
mkdirSync(OUT, { recursive: true });

const scenarios = {
  "codes-1": { q: "tokens=1" },
  "codes-3": { q: "tokens=3" },
  "codes-tester": { q: "tokens=1&tester=1&shift=30" },
  "codes-empty": { q: "tokens=0" },
  "codes-urgent-1": { q: "tokens=1&phase=26" },
  "codes-urgent-3": { q: "tokens=3&phase=26" },
  "codes-tester-3": { q: "tokens=3&tester=1&shift=-5" },
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

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const problems = [];
for (const [name, sc] of Object.entries(scenarios)) {
  if (filter && !name.includes(filter)) continue;
  for (const lang of ["ja", "en"]) {
    for (const scheme of ["light", "dark"]) {
      for (const [w, hgt] of [[420, 860], [1000, 720]]) {
        const ctx = await browser.newContext({ viewport: { width: w, height: hgt }, colorScheme: scheme, locale: lang === "ja" ? "ja-JP" : "en-US" });
        const page = await ctx.newPage();
        page.on("console", (m) => m.type() === "error" && problems.push(`${name}: ${m.text()}`));
        page.on("pageerror", (e) => problems.push(`${name}: ${e.message}`));
        await page.goto(`${BASE}?${sc.q}&lang=${lang}`);
        await page.waitForSelector(`body[data-screen="${sc.screen ?? "codes"}"]`);
        if (!sc.screen) await page.waitForSelector('[data-testid="code"][data-code]:not([data-code=""]), [data-testid="empty"]');
        if (sc.act) await sc.act(page);
        await page.waitForTimeout(150);
        await page.screenshot({ path: `${OUT}/${name}-${lang}-${scheme}-${w}.png`, fullPage: !!sc.full });
        await ctx.close();
      }
    }
  }
}
await browser.close();
console.log(problems.length ? problems.join("\n") : "no console errors");
