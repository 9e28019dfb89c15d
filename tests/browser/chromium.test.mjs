// The Chromium the browser files start: every switch Playwright passes kept, and Chrome's own
// omnibox popup, which headless Chromium loads for each new page, turned off.

import { test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { BROWSER_UI_FEATURES, LAUNCH, PLAYWRIGHT_DISABLED_FEATURES, onPhone } from "./support.mjs";

/** The features the browser runs without: the last `--disable-features` of its command line, as
 * chrome://version shows it (Chromium keeps only the last one). */
async function disabledFeatures(page) {
  await page.goto("chrome://version");
  const line = await page.locator("#command_line").innerText();
  const lists = [...line.matchAll(/--disable-features=(\S*)/g)].map((m) => m[1]);
  return (lists.at(-1) ?? "").split(",").filter(Boolean).sort();
}

test("the browser files' Chromium disables what Playwright disables, and the omnibox's popup", async () => {
  const plain = await chromium.launch({ executablePath: LAUNCH.executablePath, args: ["--no-sandbox"] });
  try {
    assert.deepEqual(
      await disabledFeatures(await plain.newPage()),
      [...PLAYWRIGHT_DISABLED_FEATURES].sort(),
      "Playwright's own list changed: PLAYWRIGHT_DISABLED_FEATURES in support.mjs repeats it",
    );
  } finally {
    await plain.close();
  }
  await onPhone("chromium-switches", async (page) => {
    assert.deepEqual(
      await disabledFeatures(page),
      [...PLAYWRIGHT_DISABLED_FEATURES, ...BROWSER_UI_FEATURES].sort(),
    );
  });
});
