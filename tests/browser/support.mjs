// What the browser files share: the local stack's address, headless Chromium started once per
// file, and a phone-sized page that fails its test on any Content-Security-Policy violation and
// leaves a screenshot behind when it fails. Not a test file itself (`cargo xtask test` runs the
// `*.test.mjs` files).

import { before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const BASE = process.env.HOCPHI_BASE_URL ?? "http://127.0.0.1:8080";
export const WAIT = { timeout: 30_000 };
const SHOTS = process.env.HOCPHI_SCREENSHOTS ?? join(tmpdir(), "hocphi-screenshots");

/** The features Playwright 1.65.1 (pinned by package-lock.json) disables in every Chromium it
 * starts. Chromium keeps only the last `--disable-features`, and Playwright merges no list of
 * ours into its own, so its list is repeated here (chromium.test.mjs fails when it changes). */
export const PLAYWRIGHT_DISABLED_FEATURES = [
  "AimEnabled", "AvoidCorsURLLoaderRestartOnRedirect", "AvoidUnnecessaryBeforeUnloadCheckSync",
  "DestroyProfileOnBrowserClose", "HttpsFirstBalancedModeAutoEnable", "HttpsUpgrades", "LensOverlay",
  "MediaRouter", "NetworkTimeServiceQuerying", "OptimizationHints", "PaintHolding",
  "PreconnectToSearch", "TcpPortRandomizationWin", "ThirdPartyStoragePartitioning",
  "msEdgeUpdateLaunchServicesPreferredVersion", "msForceBrowserSignIn",
];

/** Chrome's own web UI that headless Chromium loads for every new page all the same: the
 * omnibox's popup, some 200 chrome:// files each time, competing with the page under test for
 * the machine's cores. */
export const BROWSER_UI_FEATURES = ["WebUIOmniboxPopup", "WebUIOmniboxAimPopup"];

/** How the browser files start Chromium. */
export const LAUNCH = {
  executablePath: process.env.HOCPHI_CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    `--disable-features=${[...PLAYWRIGHT_DISABLED_FEATURES, ...BROWSER_UI_FEATURES].join(",")}`,
  ],
};

let browser;

before(async () => {
  browser = await chromium.launch(LAUNCH);
});

after(async () => {
  await browser?.close();
});

/** Collects every Content-Security-Policy violation Chromium reports on `page`, across navigations. */
export function recordCspViolations(page) {
  const violations = [];
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) {
      violations.push(`${page.url()}: ${message.text()}`);
    }
  });
  return violations;
}

/** Runs `body(page, context)` with a fresh phone-sized page (its context can open a second page,
 * as a banking app would) served with the CDN's Content-Security-Policy; fails on any violation;
 * screenshots the page if it fails. */
export async function onPhone(name, body) {
  const context = await browser.newContext({ viewport: { width: 360, height: 800 }, locale: "vi-VN" });
  const page = await context.newPage();
  const violations = recordCspViolations(page);
  try {
    await body(page, context);
    assert.deepEqual(violations, [], "the page breaks none of the CDN's Content-Security-Policy");
  } catch (error) {
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true }).catch(() => {});
    throw error;
  } finally {
    await context.close();
  }
}
