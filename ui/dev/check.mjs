// Dev only: a smoke check of the UI through the IPC mock (flip timing, once-per-second updates, CPU, flows).
//   (cd ui && npm run dev) &   then   node ui/dev/check.mjs
import { createRequire } from "node:module";
import assert from "node:assert/strict";

import { scenarios, show } from "./scenarios.mjs";

const require = createRequire(new URL("../../tests/ib-browser/package.json", import.meta.url));
const { chromium } = require("playwright-core");
const AXE = require.resolve("axe-core/axe.min.js");
const BASE = process.env.UI_URL ?? "http://127.0.0.1:1420/dev/mock.html";

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
let passed = 0;
let failed = 0;
async function check(name, fn, contextOptions = { viewport: { width: 420, height: 860 }, locale: "ja-JP" }) {
  const ctx = await browser.newContext(contextOptions);
  await ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(BASE).origin });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await fn(page);
    assert.deepEqual(errors, []);
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(e?.stack ?? e).split("\n").slice(0, 6).join("\n  ")}`);
  }
  await ctx.close();
}
const open = async (page, q) => {
  await page.goto(`${BASE}?${q}`);
  await page.waitForSelector("body[data-screen]:not([data-screen=loading])");
};
const log = (page) => page.evaluate(() => window.__softtokenIpcLog.map((e) => e.cmd));

await check("exact flip: next code at validUntilMs, then codes() again", async (page) => {
  await open(page, "tokens=1&phase=27");
  const code = page.locator('[data-testid="code"]');
  await page.waitForSelector('[data-testid="code"]:not([data-code=""])');
  const before = await code.getAttribute("data-code");
  const next = await page.locator('[data-testid="next-code"]').getAttribute("data-code");
  assert.ok(await page.locator('[data-testid="next-code"]').isVisible(), "next code visible in the last 5 s");
  await page.evaluate(() => {
    const el = document.querySelector('[data-testid="code"]');
    new MutationObserver(() => {
      window.__flipAt ??= window.__mockNow() % 30000;
      window.__flipCodesCalls ??= window.__softtokenIpcLog.filter((e) => e.cmd === "codes").length;
    }).observe(el, { attributes: true, childList: true, characterData: true, subtree: true });
  });
  await page.waitForFunction((b) => document.querySelector('[data-testid="code"]').dataset.code !== b, before, { timeout: 6000 });
  const after = await code.getAttribute("data-code");
  assert.equal(after, next, "the shown next code becomes current");
  const flipAt = await page.evaluate(() => window.__flipAt);
  assert.ok(flipAt < 40, `flip ${flipAt} ms after the step boundary`);
  const callsAtFlip = await page.evaluate(() => window.__flipCodesCalls);
  assert.equal(callsAtFlip, 1, "the flip did not wait for IPC");
  await page.waitForFunction(() => window.__softtokenIpcLog.filter((e) => e.cmd === "codes").length >= 2);
  assert.equal(await page.locator('[data-testid="seconds"]').textContent(), "30");
  assert.ok(!(await page.locator('[data-testid="next-code"]').isVisible()), "next code hidden again");
  console.log(`  flip at +${flipAt.toFixed(1)} ms`);
});

await check("seconds change once per second at second boundaries; cheap", async (page) => {
  await open(page, "tokens=1&phase=3");
  await page.waitForSelector('[data-testid="code"]:not([data-code=""])');
  await page.evaluate(() => {
    window.__mut = [];
    const el = document.querySelector('[data-testid="seconds"]');
    new MutationObserver(() => window.__mut.push(window.__mockNow() % 1000)).observe(el, { childList: true, characterData: true, subtree: true });
  });
  const cdp = await page.context().newCDPSession(page);
  // Thread ticks: CPU time, not wall time (which a busy machine inflates).
  await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
  const t0 = Date.now();
  const m0 = Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
  await page.waitForTimeout(10_000);
  const m1 = Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
  const mut = await page.evaluate(() => window.__mut);
  assert.ok(mut.length >= 9 && mut.length <= 11, `${mut.length} updates in 10 s`);
  assert.ok(mut.every((ms) => ms < 40), `updates at ${mut.join(",")} ms past the second`);
  const wall = (Date.now() - t0) / 1000;
  const busy = (m1.ThreadTime - m0.ThreadTime) / wall;
  const proc = (m1.ProcessTime - m0.ProcessTime) / wall;
  console.log(`  renderer main thread ${(busy * 100).toFixed(3)} % of a core (whole renderer ${(proc * 100).toFixed(3)} %); updates at +${mut.join(",")} ms`);
  assert.ok(busy < 0.005, `busy ${busy}`);
});

await check("copy by click and Ctrl+C; no firstPaint in a shipped build", async (page) => {
  await open(page, "tokens=1");
  await page.click('[data-testid="code"]');
  await page.waitForSelector('[data-testid="toast"]:not([hidden])');
  assert.match(await page.locator('[data-testid="toast"]').textContent(), /コピーしました（30秒後/);
  await page.locator("body").click({ position: { x: 5, y: 600 } });
  await page.keyboard.press("Control+c");
  await page.waitForTimeout(200);
  const cmds = await log(page);
  assert.equal(cmds.filter((c) => c === "copy_code").length, 2);
  assert.equal(cmds.filter((c) => c === "first_paint").length, 0);
});

await check("a startup-bench build reports its first paint once", async (page) => {
  await open(page, "tokens=1&bench=1");
  await page.waitForSelector('[data-testid="code"]:not([data-code=""])');
  await page.waitForFunction(() => window.__softtokenIpcLog.some((e) => e.cmd === "first_paint"));
  // Back on the code screen after another screen: still reported once.
  await page.click('[data-testid="nav-add"]');
  await page.click('[data-testid="nav-codes"]');
  await page.waitForSelector('[data-testid="code"]:not([data-code=""])');
  await page.waitForTimeout(200);
  const entries = await page.evaluate(() => window.__softtokenIpcLog.filter((e) => e.cmd === "first_paint"));
  assert.equal(entries.length, 1);
  assert.equal(entries[0].ok, true);
});

await check("language: auto → ja; header toggle → en and saved", async (page) => {
  await open(page, "tokens=1&os=ja-JP");
  assert.equal(await page.evaluate(() => [document.documentElement.lang, document.body.dataset.lang].join()), "ja,ja");
  await page.click('[data-testid="nav-lang"]');
  await page.waitForSelector("body[data-lang=en]");
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  assert.equal(await page.locator('[data-testid="nav-codes"]').textContent(), "Codes");
  assert.ok((await log(page)).includes("set_settings"));
  await open(page, "tokens=1&os=en-US");
  assert.equal(await page.evaluate(() => document.body.dataset.lang), "en");
});

await check("add by URI → serial screen; paste otpauth fills the field", async (page) => {
  await open(page, "tokens=1");
  await page.click('[data-testid="nav-add"]');
  await page.waitForSelector("body[data-screen=add]");
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.setData("text/plain", "otpauth://totp/Bank:hanako?secret=JBSWY3DPEHPK3PXP");
    document.body.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true }));
  });
  assert.match(await page.inputValue('[data-testid="add-uri-input"]'), /^otpauth:\/\/totp\/Bank:hanako/);
  await page.click('[data-testid="add-uri-submit"]');
  await page.waitForSelector("body[data-screen=serial]");
  assert.equal(await page.locator('[data-testid="serial"]').getAttribute("data-serial"), "SKTN76543218");
  assert.equal(await page.locator('[data-testid="serial"]').textContent(), "SKTN 7654 3218");
  await page.waitForSelector('[data-testid="serial-qr"][src^="data:image/svg+xml;charset=utf-8,"]');
  await page.click('[data-testid="serial-done"]');
  await page.waitForSelector("body[data-screen=codes]");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="token"]').length === 2);
});

await check("add from an image file and a bad URI error", async (page) => {
  await open(page, "tokens=0");
  await page.click('[data-testid="nav-add"]');
  await page.fill('[data-testid="add-uri-input"]', "http://nope");
  await page.click('[data-testid="add-uri-submit"]');
  await page.waitForSelector('[data-testid="error"][data-code="bad_uri"]');
  const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
  await page.setInputFiles('[data-testid="add-image-input"]', { name: "qr.png", mimeType: "image/png", buffer: png });
  await page.waitForSelector("body[data-screen=serial]");
  const entry = await page.evaluate(() => window.__softtokenIpcLog.find((e) => e.cmd === "add_from_image"));
  assert.deepEqual(entry.args, { bytes: "[redacted]" }, "the IPC log keeps no image bytes");
  assert.deepEqual(await page.evaluate(() => window.__mockReceived.add_from_image), { byteLength: png.length });
});

await check("add manual with serial; clipboard error", async (page) => {
  await open(page, "tokens=1");
  await page.click('[data-testid="nav-add"]');
  await page.click('[data-testid="add-clipboard"]');
  await page.waitForSelector('[data-testid="error"][data-code="no_clipboard_image"]');
  await page.fill('[data-testid="manual-issuer"]', "しんきん");
  await page.fill('[data-testid="manual-account"]', "hanako");
  await page.fill('[data-testid="manual-secret"]', "JBSW Y3DP EHPK 3PXP");
  await page.fill('[data-testid="manual-serial"]', "SKTN 1111 2222");
  await page.selectOption('[data-testid="manual-digits"]', "8");
  await page.fill('[data-testid="manual-period"]', "60");
  await page.selectOption('[data-testid="manual-algorithm"]', "SHA256");
  await page.click('[data-testid="manual-submit"]');
  await page.waitForSelector("body[data-screen=serial]");
  const entry = await page.evaluate(() => window.__softtokenIpcLog.find((e) => e.cmd === "add_manual"));
  assert.deepEqual(entry.args, { token: "[redacted]" }, "the IPC log keeps no secret");
  const received = await page.evaluate(() => window.__mockReceived.add_manual);
  assert.deepEqual(received.token, { issuer: "しんきん", account: "hanako", secret: "JBSW Y3DP EHPK 3PXP", digits: 8, period: 60, algorithm: "SHA256", serial: "SKTN 1111 2222" });
  assert.equal(await page.locator('[data-testid="error"]').count(), 0);
});

await check("online provisioning with activation code", async (page) => {
  await open(page, "tokens=0&delay=300");
  await page.click('[data-testid="nav-add"]');
  await page.fill('[data-testid="add-online-activation"]', "ABCD-1234");
  await page.click('[data-testid="add-online-submit"]');
  assert.ok(await page.locator('[data-testid="manual-submit"]').isDisabled(), "busy state disables buttons");
  await page.waitForSelector("body[data-screen=serial]");
  const entry = await page.evaluate(() => window.__softtokenIpcLog.find((e) => e.cmd === "provision_online"));
  assert.deepEqual(entry.args, { activationCode: "ABCD-1234" });
});

await check("delete: dialog, cancel, confirm", async (page) => {
  await open(page, "tokens=3");
  await page.locator('[data-testid="token"][data-id="t2"] [data-testid="token-delete-btn"]').click();
  await page.waitForSelector('[data-testid="delete-dialog"]');
  assert.match(await page.locator('[data-testid="delete-dialog"]').textContent(), /MRSK 2000 0013/);
  await page.click('[data-testid="delete-cancel"]');
  assert.equal(await page.locator('[data-testid="delete-dialog"]').count(), 0);
  await page.locator('[data-testid="token"][data-id="t2"] [data-testid="token-delete-btn"]').click();
  await page.click('[data-testid="delete-confirm"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="token"]').length === 2);
  assert.equal(await page.locator('[data-testid="token"][data-id="t2"]').count(), 0);
});

await check("settings: tester mode banner, bad URL error, clock check", async (page) => {
  await open(page, "tokens=1");
  await page.click('[data-testid="nav-settings"]');
  await page.check('[data-testid="settings-tester"]');
  await page.fill('[data-testid="settings-shift"]', "30");
  await page.click('[data-testid="settings-save"]');
  await page.waitForSelector('[data-testid="tester-banner"]');
  assert.match(await page.locator('[data-testid="tester-banner"]').textContent(), /\+30/);
  await page.fill('[data-testid="settings-clipboard"]', "301");
  await page.click('[data-testid="settings-save"]');
  await page.waitForSelector('[data-testid="error"][data-code="bad_setting"]');
  await page.fill('[data-testid="settings-clipboard"]', "10");
  await page.fill('[data-testid="settings-service-url"]', "ftp://x");
  await page.click('[data-testid="settings-save"]');
  await page.waitForSelector('[data-testid="error"][data-code="bad_service_url"]');
  await page.click('[data-testid="settings-service-reset"]');
  await page.selectOption('[data-testid="settings-language"]', "en");
  await page.click('[data-testid="settings-save"]');
  await page.waitForSelector("body[data-lang=en]");
  await page.click('[data-testid="clock-check"]');
  await page.waitForSelector('[data-testid="clock-result"]:not([hidden])');
  assert.match(await page.locator('[data-testid="clock-result"]').textContent(), /accurate/);
  await page.click('[data-testid="nav-codes"]');
  await page.waitForSelector('[data-testid="prev-code"]');
  await page.waitForSelector('[data-testid="next-code"]');
  assert.ok(await page.locator('[data-testid="next-code"]').isVisible());
});

await check("vault: mismatch, too short, create", async (page) => {
  await open(page, "storage=none");
  assert.equal(await page.evaluate(() => document.body.dataset.screen), "vault");
  await page.fill('[data-testid="vault-passphrase"]', "short");
  await page.fill('[data-testid="vault-passphrase2"]', "short");
  await page.click('[data-testid="vault-submit"]');
  await page.waitForSelector('[data-testid="error"][data-code="passphrase_too_short"]');
  await page.fill('[data-testid="vault-passphrase"]', "long enough 1");
  await page.fill('[data-testid="vault-passphrase2"]', "long enough 2");
  await page.click('[data-testid="vault-submit"]');
  await page.waitForSelector('[data-testid="error"][data-code="passphrase_mismatch"]');
  await page.fill('[data-testid="vault-passphrase2"]', "long enough 1");
  await page.click('[data-testid="vault-submit"]');
  await page.waitForSelector("body[data-screen=codes]");
});

await check("vault unlock: wrong then right", async (page) => {
  await open(page, "storage=none&vault=1");
  assert.equal(await page.locator('[data-testid="vault-passphrase2"]').count(), 0);
  await page.fill('[data-testid="vault-passphrase"]', "nope nope");
  await page.click('[data-testid="vault-submit"]');
  await page.waitForSelector('[data-testid="error"][data-code="wrong_passphrase"]');
  await page.fill('[data-testid="vault-passphrase"]', "correct horse");
  await page.click('[data-testid="vault-submit"]');
  await page.waitForSelector('[data-testid="code"]:not([data-code=""])');
});

await check("HOTP show code", async (page) => {
  await open(page, "tokens=3");
  await page.click('[data-testid="token"][data-id="t3"] [data-testid="hotp-show"]');
  await page.waitForSelector('[data-testid="token"][data-id="t3"] [data-testid="code"]:not([data-code=""])');
});

await check("app lock: a locked start shows nothing but the lock, unlock, relock", async (page) => {
  await open(page, "tokens=1&lock=1&phone=1");
  assert.equal(await page.evaluate(() => document.body.dataset.screen), "lock");
  assert.equal(await page.locator('[data-testid="code"]').count(), 0);
  assert.ok(await page.locator("nav.tabs").isHidden(), "no navigation while locked");
  // The codes asked for at start were refused by "Rust" (the mock mirrors the gate).
  const refused = await page.evaluate(() => window.__softtokenIpcLog.filter((e) => e.cmd === "codes").map((e) => e.answer?.code));
  assert.deepEqual(refused, ["app_locked"]);
  await page.click('[data-testid="lock-unlock"]');
  await page.waitForSelector('[data-testid="code"]:not([data-code=""])');
  await page.evaluate(() => window.__mockRelock());
  await page.waitForSelector("body[data-screen=lock]");
  assert.equal(await page.locator('[data-testid="code"]').count(), 0);
  await page.click('[data-testid="lock-unlock"]');
  await page.waitForSelector('[data-testid="code"]:not([data-code=""])');
});

await check("app lock: settings switch it on and off after the check; a failed check changes nothing", async (page) => {
  await open(page, "tokens=1&phone=1");
  await page.click('[data-testid="nav-settings"]');
  assert.equal(await page.locator('[data-testid="settings-tester"]').count(), 0, "no tester mode on phones");
  await page.click('[data-testid="settings-app-lock"]');
  await page.waitForSelector('[data-testid="toast"]:not([hidden])');
  assert.equal(await page.evaluate(() => window.__mockReceived.set_app_lock.enabled), true);
  await page.click('[data-testid="settings-app-lock"]');
  await page.waitForFunction(() => window.__mockReceived.set_app_lock.enabled === false);
  await open(page, "tokens=1&phone=1&fail=set_app_lock:auth_failed");
  await page.click('[data-testid="nav-settings"]');
  await page.click('[data-testid="settings-app-lock"]');
  await page.waitForSelector('[data-testid="error"][data-code="auth_failed"]');
  assert.equal(await page.isChecked('[data-testid="settings-app-lock"]'), false);
  // Desktop (no biometrics here): no switch at all.
  await open(page, "tokens=1");
  await page.click('[data-testid="nav-settings"]');
  assert.equal(await page.locator('[data-testid="settings-app-lock"]').count(), 0);
});

await check("link: the configured host, large, then continue → serial; nothing sent before", async (page) => {
  await open(page, "tokens=1&link=known");
  assert.equal(await page.evaluate(() => document.body.dataset.screen), "link");
  assert.equal(await page.locator('[data-testid="link-host"]').textContent(), "token.example-shinkin.jp");
  assert.equal(await page.locator('[data-testid="link-warning"]').count(), 0);
  assert.ok(!(await log(page)).includes("accept_link"), "nothing provisioned before the customer's yes");
  const size = await page.locator('[data-testid="link-host"]').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  assert.ok(size >= 24, `host in ${size} px`);
  const first = await page.locator(".link-card .actions .btn").first().getAttribute("data-testid");
  assert.equal(first, "link-continue");
  await page.click('[data-testid="link-continue"]');
  await page.waitForSelector("body[data-screen=serial]");
  const answer = await page.evaluate(() => window.__softtokenIpcLog.find((e) => e.cmd === "pending_link").answer);
  assert.deepEqual(Object.keys(answer).sort(), ["expectedHost", "host", "known", "server"], "no activation code reaches the page");
});

await check("link: a look-alike host gets the warning, Cancel first, and cancel sends nothing", async (page) => {
  await open(page, "tokens=1&link=unknown");
  await page.waitForSelector('[data-testid="link-warning"]');
  assert.match(await page.locator('[data-testid="link-warning"]').textContent(), /token\.example-shinkin\.jp/);
  const first = await page.locator(".link-card .actions .btn").first().getAttribute("data-testid");
  assert.equal(first, "link-cancel", "the safe choice comes first");
  await page.click('[data-testid="link-cancel"]');
  await page.waitForSelector('[data-testid="code"]:not([data-code=""])');
  const cmds = await log(page);
  assert.ok(cmds.includes("dismiss_link") && !cmds.includes("accept_link"));
});

await check("link: an unusable link says why; a link arriving later; a link waits behind the lock", async (page) => {
  await open(page, "tokens=1&link=bad");
  await page.waitForSelector('[data-testid="link-refused"] [data-testid="error"][data-code="bad_service_url"]');
  await page.click('[data-testid="link-close"]');
  await page.waitForSelector('[data-testid="code"]:not([data-code=""])');
  await page.evaluate(() => window.__mockLink("unknown"));
  await page.waitForSelector('[data-testid="link-warning"]');
  await open(page, "tokens=1&phone=1&lock=1&link=known");
  assert.equal(await page.evaluate(() => document.body.dataset.screen), "lock");
  await page.click('[data-testid="lock-unlock"]');
  await page.waitForSelector("body[data-screen=link]");
});

await check("scan (phone): the camera first on Add, a scan → serial, cancel → Add, camera refused", async (page) => {
  await open(page, "tokens=1&phone=1");
  await page.click('[data-testid="nav-add"]');
  const first = await page.locator(".add-section").first().locator("[data-testid]").first().getAttribute("data-testid");
  assert.equal(first, "add-scan", "the camera scan is the first choice on phones");
  await page.click('[data-testid="add-scan"]');
  await page.waitForSelector("body[data-screen=scan]");
  assert.ok(await page.evaluate(() => document.documentElement.classList.contains("scanning")), "the page is see-through");
  await page.evaluate(() => window.__mockScanned());
  await page.waitForSelector("body[data-screen=serial]");
  assert.ok(!(await page.evaluate(() => document.documentElement.classList.contains("scanning"))));
  const entry = await page.evaluate(() => window.__softtokenIpcLog.find((e) => e.cmd === "scan_qr"));
  assert.equal(entry.args, undefined, "nothing sent");
  assert.ok(!JSON.stringify(entry.answer).includes("otpauth"), "only the token's view comes back");
  await page.click('[data-testid="serial-done"]');
  await page.click('[data-testid="nav-add"]');
  await page.click('[data-testid="add-scan"]');
  await page.click('[data-testid="scan-cancel"]');
  await page.waitForSelector("body[data-screen=add]");
  assert.ok((await log(page)).includes("cancel_scan"));
  await open(page, "tokens=1&phone=1&fail=scan_qr:camera_denied");
  await page.click('[data-testid="nav-add"]');
  await page.click('[data-testid="add-scan"]');
  await page.waitForSelector('[data-testid="error"][data-code="camera_denied"]');
  // Desktop: no camera section.
  await open(page, "tokens=1");
  await page.click('[data-testid="nav-add"]');
  assert.equal(await page.locator('[data-testid="add-scan"]').count(), 0);
});

await check("cover (phone): away hides the codes, back shows them", async (page) => {
  await open(page, "tokens=1&phone=1");
  await page.waitForSelector('[data-testid="code"]:not([data-code=""])');
  await page.evaluate(() => window.dispatchEvent(new Event("softtoken:away")));
  assert.equal(await page.locator('[data-testid="code"]').evaluate((el) => getComputedStyle(el).visibility), "hidden");
  await page.evaluate(() => window.dispatchEvent(new Event("softtoken:back")));
  assert.equal(await page.locator('[data-testid="code"]').evaluate((el) => getComputedStyle(el).visibility), "visible");
});

// Every screen on a phone (360 px wide, touch, device scale 3, a phone build), in both languages: axe-core finds no
// violation, nothing is wider than the screen, and every control is a touch target of at least 48 × 48 px. Then the
// same screen with every font size doubled, as Android's 200 % text size does to a WebView: still nothing wider
// than the screen, and no text cut off by its box.
const PHONE = { viewport: { width: 360, height: 780 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true };
for (const lang of ["ja", "en"]) {
  for (const [name, sc] of Object.entries(scenarios).filter(([, sc]) => !sc.desktopOnly)) {
    await check(
      `phone ${lang} ${name}: axe-core, no overflow, touch targets, 200 % text`,
      async (page) => {
        await show(page, BASE, sc, lang, true);
        await page.addScriptTag({ path: AXE });
        const violations = await page.evaluate(async () => {
          const r = await window.axe.run(document, { resultTypes: ["violations"] });
          return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
        });
        assert.deepEqual(violations, [], "axe-core violations");
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - screen.width);
        assert.ok(overflow <= 0, `${overflow} px wider than the screen`);
        const small = await page.evaluate(() =>
          [...document.querySelectorAll("button, a[href], input:not([type=hidden]), select, textarea, [role=button]")]
            .filter((el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden")
            .map((el) => ({ el, r: el.getBoundingClientRect() }))
            .filter(({ el, r }) => {
              // A checkbox, a radio button or a visually hidden input (the image picker) counts as its label, which
              // is what a finger hits.
              const label = el.labels?.[0];
              const viaLabel = label && (el.matches("input[type=checkbox], input[type=radio]") || r.width < 2 || r.height < 2);
              const box = viaLabel ? label.getBoundingClientRect() : r;
              return box.height < 48 || box.width < 48;
            })
            .map(({ el, r }) => `${el.dataset.testid ?? el.tagName.toLowerCase()} ${Math.round(r.width)}×${Math.round(r.height)}`),
        );
        assert.deepEqual(small, [], "touch targets under 48 px");
        const clipped = await page.evaluate(() => {
          const all = [...document.querySelectorAll("body *")];
          const sizes = all.map((el) => parseFloat(getComputedStyle(el).fontSize));
          all.forEach((el, i) => (el.style.fontSize = `${sizes[i] * 2}px`));
          const out = [];
          // Against the screen's width: a mobile viewport grows to fit what is too wide (window.innerWidth with it).
          const wide = document.documentElement.scrollWidth - screen.width;
          if (wide > 0) out.push(`page ${wide} px wider than the screen`);
          for (const el of all) {
            const r = el.getBoundingClientRect();
            if (r.width > 0 && r.right > screen.width + 0.5 && getComputedStyle(el).visibility !== "hidden")
              out.push(`${el.dataset.testid ?? el.className ?? el.tagName} ends ${Math.round(r.right - screen.width)} px past the screen`);
          }
          for (const el of all) {
            // Skipped: what is not drawn, and text for screen readers only (a 1 px box by design).
            if (el.getClientRects().length === 0 || !el.textContent.trim() || el.matches(".sr-only, .sr-only *")) continue;
            const cs = getComputedStyle(el);
            const clips = (v) => v === "hidden" || v === "clip";
            if ((clips(cs.overflowX) && el.scrollWidth > el.clientWidth + 1) || (clips(cs.overflowY) && el.scrollHeight > el.clientHeight + 1))
              out.push(`${el.dataset.testid ?? el.className ?? el.tagName} clips its text`);
          }
          return out;
        });
        assert.deepEqual(clipped, [], "at 200 % text size");
      },
      { ...PHONE, locale: lang === "ja" ? "ja-JP" : "en-US" },
    );
  }
}

await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
