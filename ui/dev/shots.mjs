// Screenshots of every screen through the IPC mock.
//   (cd ui && npm run dev) &   then   node ui/dev/shots.mjs [filter]
//     ja/en, light/dark, 420 and 1000 px wide, into /tmp/ui-shots/ (for looking at a change).
//   ./x screenshots-mobile   (= node ui/dev/shots.mjs --phone, with the dev server)
//     ja/en at 360×780 and 390×844, touch, device scale 3, into docs/screenshots/mobile/.
// Uses playwright-core from tests/ib-browser and the system's Chromium.
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";

import { scenarios, show } from "./scenarios.mjs";

const require = createRequire(new URL("../../tests/ib-browser/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const BASE = process.env.UI_URL ?? "http://127.0.0.1:1420/dev/mock.html";
const phone = process.argv.includes("--phone");
const OUT = phone ? new URL("../../docs/screenshots/mobile/", import.meta.url).pathname : "/tmp/ui-shots";
const filter = process.argv.slice(2).find((a) => !a.startsWith("--")) ?? "";
mkdirSync(OUT, { recursive: true });
// [name suffix, context options]
const layouts = phone
  ? [360, 390].map((w) => {
      const h = w === 360 ? 780 : 844;
      return [`${w}x${h}`, { viewport: { width: w, height: h }, deviceScaleFactor: 3, isMobile: true, hasTouch: true }];
    })
  : ["light", "dark"].flatMap((scheme) =>
      [[420, 860], [1000, 720]].map(([w, h]) => [`${scheme}-${w}`, { viewport: { width: w, height: h }, colorScheme: scheme }]),
    );


const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const problems = [];
for (const [name, sc] of Object.entries(scenarios)) {
  if ((filter && !name.includes(filter)) || (phone ? sc.desktopOnly : sc.phoneOnly)) continue;
  for (const lang of ["ja", "en"]) {
    for (const [layout, options] of layouts) {
      const ctx = await browser.newContext({ ...options, locale: lang === "ja" ? "ja-JP" : "en-US" });
      const page = await ctx.newPage();
      page.on("console", (m) => m.type() === "error" && problems.push(`${name}: ${m.text()}`));
      page.on("pageerror", (e) => problems.push(`${name}: ${e.message}`));
      await show(page, BASE, sc, lang, phone);
      const file = phone ? `${lang}-${layout}-${name}.png` : `${name}-${lang}-${layout}.png`;
      await page.screenshot({ path: `${OUT}/${file}`, fullPage: !!sc.full });
      await ctx.close();
    }
  }
}
await browser.close();
console.log(problems.length ? problems.join("\n") : "no console errors");
