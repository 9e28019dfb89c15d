// The page on a slow mobile connection: Chromium DevTools' "Slow 3G" preset (renamed "3G" in
// 2024), applied with the DevTools protocol's Network.emulateNetworkConditions. Its values, from
// Chromium's front_end/core/sdk/NetworkManager.ts (Slow3GConditions): download and upload
// 500 * 1000 / 8 * .8 bytes/s (400 kbit/s), latency 400 * 5 ms (2 s added to every request).
//
// Times are counted from the moment the page's HTML has arrived (its navigation entry's
// responseEnd): the HTML's own two seconds are the network's, not the page's. Every route shows
// its own screen at its first paint, before the app; the look-up form keeps a submit made before
// the app arrives, and the app then answers it.
//
// Budgets: index.html carries its stylesheet and boot script, so the first paint needs the HTML
// alone; it also preloads the JS glue and the WebAssembly (and, on the result and receipt
// addresses, their screens' split modules), so the app needs one more round of requests after
// it (2 s of latency) plus the page's bytes at 50 kB/s, and the start of the app. HOCPHI_SLOW_FORM_MS and HOCPHI_SLOW_APP_MS override the budgets.

import { test } from "node:test";
import assert from "node:assert/strict";
import { BASE, WAIT, onPhone } from "./support.mjs";

const SLOW_3G = { offline: false, latency: 400 * 5, downloadThroughput: (500 * 1000) / 8 * 0.8, uploadThroughput: (500 * 1000) / 8 * 0.8 };
/** The look-up form is painted, and takes a submit, within this long after the HTML. */
const FORM_USABLE_MS = Number(process.env.HOCPHI_SLOW_FORM_MS ?? 2_000);
/** The app has taken over within this long after the HTML. */
const APP_MS = Number(process.env.HOCPHI_SLOW_APP_MS ?? 5_000);
const SLOW_WAIT = { timeout: 60_000 };

/** Slow 3G, every load a first visit (no HTTP cache). */
async function throttle(page, context) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", SLOW_3G);
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
}

/** Records when the static screen is replaced by the app (`window.__takenOver`, ms). */
async function recordTakeover(page, selector) {
  await page.addInitScript((selector) => {
    document.addEventListener("DOMContentLoaded", () => {
      const shell = document.querySelector(selector);
      new MutationObserver((_, observer) => {
        if (!shell.isConnected) {
          window.__takenOver = performance.now();
          observer.disconnect();
        }
      }).observe(document.body, { childList: true, subtree: true });
    });
  }, selector);
}

/** Milliseconds after the HTML arrived: the first contentful paint (the boot script, inline in
 * <head>, has run by then: the form takes a submit) and the app's takeover. */
async function timings(page) {
  return page.evaluate(() => {
    const html = performance.getEntriesByType("navigation")[0].responseEnd;
    const paint = performance.getEntriesByName("first-contentful-paint")[0]?.startTime;
    return { paint: paint - html, takenOver: window.__takenOver - html };
  });
}

/** Pays a demo student's invoices at the VNPay simulator (unthrottled) and answers the receipt's address. */
async function paidReceipt(page) {
  await page.goto(`${BASE}/?student=5201234567`);
  await page.getByLabel("Mã tra cứu", { exact: true }).fill("AB12CD34");
  await page.getByRole("button", { name: "Tra cứu", exact: true }).click();
  await page.getByRole("checkbox").first().waitFor(WAIT);
  for (const box of await page.getByRole("checkbox").all()) await box.check();
  const vnpay = page.getByRole("radio", { name: /VNPay/ });
  if (await vnpay.count()) await vnpay.check();
  await page.locator(".button--pay").click();
  await page.waitForURL(/\/sim\/vnpay\//, WAIT);
  await page.getByRole("button", { name: "Thanh toán thành công" }).click();
  await page.waitForURL(/\/ket-qua/, WAIT);
  const link = page.getByRole("link", { name: "Xem và in biên lai" });
  await link.waitFor(WAIT);
  return { result: page.url(), receipt: new URL(await link.getAttribute("href"), BASE).href };
}

test("on Slow 3G the look-up form keeps a submit made before the app arrives, and the app answers it", async () => {
  await onPhone("slow-3g-lookup", async (page, context) => {
    await throttle(page, context);
    await recordTakeover(page, "#lookup-form");
    await page.goto(`${BASE}/?student=5201234569`, { waitUntil: "commit", timeout: 60_000 });
    const code = page.locator("#lookup-code");
    await code.waitFor({ state: "visible", ...SLOW_WAIT });
    await code.fill("JK9MN2PQ");
    await page.getByRole("button", { name: "Tra cứu", exact: true }).click();
    await page.getByText("Đang tải trang, sẽ tra cứu ngay khi tải xong…").waitFor(WAIT);
    assert.equal(new URL(page.url()).search, "?student=5201234569", "the submit stayed on the page");

    await page.waitForFunction(() => window.__takenOver !== undefined, null, SLOW_WAIT);
    await page.getByText("Lê H. C.").first().waitFor(SLOW_WAIT);
    assert.equal(await page.locator("#lookup-code").inputValue(), "JK9MN2PQ", "the typed code is kept");

    const { paint, takenOver } = await timings(page);
    console.log(`slow 3G look-up: form painted ${paint.toFixed(0)} ms, app ${takenOver.toFixed(0)} ms after the HTML`);
    assert.ok(paint <= FORM_USABLE_MS, `the form was painted ${paint.toFixed(0)} ms after the HTML (budget ${FORM_USABLE_MS} ms)`);
    assert.ok(takenOver <= APP_MS, `the app took over ${takenOver.toFixed(0)} ms after the HTML (budget ${APP_MS} ms)`);
  });
});

test("on Slow 3G the result and receipt addresses show their own screens before the app", async () => {
  await onPhone("slow-3g-routes", async (page, context) => {
    const { result, receipt } = await paidReceipt(page);
    const reference = new URL(result).searchParams.get("ref");
    const fresh = await context.browser().newContext({ viewport: { width: 360, height: 800 }, locale: "vi-VN" });
    const slow = await fresh.newPage();
    await throttle(slow, fresh);
    const routes = [
      { address: result, shell: ".boot-result", words: "Đang kiểm tra kết quả thanh toán", app: (p) => p.getByText("Thanh toán thành công") },
      { address: receipt, shell: ".boot-receipt", words: "Nội dung biên lai được lấy trực tiếp", app: (p) => p.locator(".receipt__words") },
    ];
    await recordTakeover(slow, "#main > section");
    for (const route of routes) {
      await slow.goto(route.address, { waitUntil: "commit", timeout: 60_000 });
      const shell = slow.locator(route.shell);
      await shell.getByText(route.words).waitFor({ state: "visible", ...SLOW_WAIT });
      assert.equal(await slow.locator("#lookup-form").isVisible(), false, "the look-up form is not shown");
      if (route.shell === ".boot-result") {
        assert.equal(await shell.locator(".reference").textContent(), reference, "the reference from the address");
      }
      await route.app(slow).first().waitFor(SLOW_WAIT);
      const { paint, takenOver } = await timings(slow);
      const layoutShift = await slow.evaluate(() => new Promise((resolve) => {
        let total = 0;
        new PerformanceObserver((list) => {
          for (const shift of list.getEntries()) if (!shift.hadRecentInput) total += shift.value;
        }).observe({ type: "layout-shift", buffered: true });
        setTimeout(() => resolve(total), 100);
      }));
      console.log(`slow 3G ${new URL(route.address).pathname}: painted ${paint.toFixed(0)} ms, app ${takenOver.toFixed(0)} ms after the HTML, layout shift ${layoutShift}`);
      assert.ok(paint < takenOver, "the static screen is painted before the app");
      assert.ok(takenOver <= APP_MS, `the app took over ${takenOver.toFixed(0)} ms after the HTML (budget ${APP_MS} ms)`);
      assert.equal(layoutShift, 0, "nothing shown moved when the app and its answer arrived");
    }
    await fresh.close();
  });
});
