// A parent's paths through the page, in headless Chromium, against the local stack with its
// demo data and VNPay simulator. Started by `cargo xtask test` (HOCPHI_BASE_URL, HOCPHI_CHROMIUM,
// HOCPHI_SCREENSHOTS); a failing test leaves a screenshot behind.

import { test } from "node:test";
import assert from "node:assert/strict";
import { BASE, WAIT, onPhone } from "./support.mjs";

async function lookUp(page, student, code) {
  await page.goto(`${BASE}/?student=${student}`);
  const studentField = page.getByLabel("Mã học sinh", { exact: true });
  await studentField.waitFor(WAIT);
  assert.equal(await studentField.inputValue(), student, "?student= pre-fills the student code");
  await page.getByLabel("Mã tra cứu", { exact: true }).fill(code);
  await page.getByRole("button", { name: "Tra cứu", exact: true }).click();
}

/** Holds the wasm at the network until the returned function is called. */
async function holdWasm(page) {
  let release;
  const arrived = new Promise((resolve) => { release = resolve; });
  await page.route("**/*.wasm", async (route) => {
    await arrived;
    await route.continue();
  });
  return release;
}

/** Records when the app replaces the static form (`window.__takenOver`, ms) and where the focus was then (`window.__focusAtTakeover`). */
async function recordTakeover(page) {
  await page.addInitScript(() => {
    document.addEventListener("DOMContentLoaded", () => {
      const form = document.getElementById("lookup-form");
      new MutationObserver((_, observer) => {
        if (!form.isConnected) {
          window.__focusAtTakeover = document.activeElement?.id ?? "";
          window.__takenOver = performance.now();
          observer.disconnect();
        }
      }).observe(document.body, { childList: true, subtree: true });
    });
  });
}

/** Chooses VNPay where several methods are offered (the bank transfer comes first). */
async function chooseVnpay(page) {
  const vnpay = page.getByRole("radio", { name: /VNPay/ });
  if (await vnpay.count()) await vnpay.check();
}

/** Ticks every invoice (whole invoices; voluntary lines stay as they are). */
async function payAtGateway(page, choice) {
  await page.locator(".invoice__choice input").first().waitFor(WAIT);
  for (const box of await page.locator(".invoice__choice input").all()) {
    await box.check();
  }
  await chooseVnpay(page);
  await page.locator(".button--pay").click();
  await page.waitForURL(/\/sim\/vnpay\//, WAIT);
  await page.getByRole("button", { name: choice }).click();
  await page.waitForURL(/\/ket-qua/, WAIT);
}

test("a parent looks up a demo student, pays two invoices and opens the receipt, in either language", async () => {
  await onPhone("pay-and-receipt", async (page) => {
    await lookUp(page, "5201234567", "AB12CD34");
    await page.getByText("Nguyễn V. A.").first().waitFor(WAIT);
    await page.getByText("675.000\u00a0₫").first().waitFor(WAIT);
    assert.equal(await page.locator(".invoice__choice input").count(), 2);

    await payAtGateway(page, "Thanh toán thành công");

    await page.getByText("Thanh toán thành công").first().waitFor(WAIT);
    const result = new URL(page.url());
    assert.equal(result.pathname, "/ket-qua");
    assert.deepEqual([...result.searchParams.keys()], ["ref"], "the gateway's parameters are dropped from the address");
    assert.match(result.searchParams.get("ref"), /^HP\d{12}[A-Z2-9]{8}$/);
    await page.getByRole("link", { name: "Xem và in biên lai" }).click();
    await page.waitForURL(/\/bien-lai\//, WAIT);
    await page.getByText("Biên lai thu tiền").first().waitFor(WAIT);
    await page.getByText("Một triệu năm trăm năm mươi chín nghìn năm trăm hai mươi đồng").first().waitFor(WAIT);
    await page.getByText("1.559.520\u00a0₫").first().waitFor(WAIT);
    const qr = page.getByRole("img", { name: "Mã QR mở biên lai này" });
    assert.match(await qr.locator("path").getAttribute("d"), /^M4 4h7v1h-7z(M\d+ \d+h(\d+)v1h-\2z)+$/, "the receipt carries its QR code as the functions drew it");
    const address = new URL(page.url());
    const api = new URL(`/api/receipts/${address.pathname.split("/").pop()}${address.search}`, address);
    const { qr: drawn } = await (await page.request.get(api.href)).json();
    assert.equal(await qr.locator("path").getAttribute("d"), drawn.path, "the page draws the functions' picture");
    assert.equal(await qr.getAttribute("viewBox"), `0 0 ${drawn.side} ${drawn.side}`);
    const style = (selector, property) =>
      page.locator(selector).evaluate((el, p) => getComputedStyle(el)[p], property);
    assert.equal(await style(".receipt__title", "textTransform"), "uppercase", "the receipt's own stylesheet lays it out");
    assert.equal(await style(".receipt", "paddingTop"), "16px");
    await page.emulateMedia({ media: "print" });
    assert.equal(await style(".receipt", "paddingTop"), "0px", "and its print rules lay it out on paper");
    await page.emulateMedia({ media: null });

    await page.getByRole("button", { name: "English", exact: true }).click();
    await page.locator(".receipt h1", { hasText: /^Receipt$/ }).waitFor(WAIT);
    await page.getByText("Amount in words:").waitFor(WAIT);
    await page.getByRole("img", { name: "QR code that opens this receipt" }).waitFor(WAIT);
    await page.getByRole("button", { name: "Print the receipt" }).waitFor(WAIT);
    assert.equal(await page.locator(".receipt").getByText("Biên lai thu tiền").count(), 0, "the whole receipt is in English");
    await page.getByRole("button", { name: "Tiếng Việt", exact: true }).click();
    await page.locator(".receipt h1", { hasText: /^Biên lai thu tiền$/ }).waitFor(WAIT);
  });
});

test("a failed payment says so in plain words and offers to pay again", async () => {
  await onPhone("failure", async (page) => {
    await lookUp(page, "5201234568", "EF56GH78");

    await payAtGateway(page, /^Thất bại/);

    await page.getByText("Thanh toán không thành công").first().waitFor(WAIT);
    await page.getByText("Tài khoản không đủ số dư.").first().waitFor(WAIT);
    await page.getByRole("link", { name: "Thanh toán lại" }).or(page.getByRole("button", { name: "Thanh toán lại" })).first().waitFor(WAIT);
  });
});

test("a cancelled payment says it was cancelled and the invoices stay payable", async () => {
  await onPhone("cancel", async (page) => {
    await lookUp(page, "5201234569", "JK9MN2PQ");

    await payAtGateway(page, "Hủy giao dịch");

    await page.getByText("Thanh toán không thành công").first().waitFor(WAIT);
    await page.getByText("Bạn đã huỷ giao dịch.").first().waitFor(WAIT);
    await lookUp(page, "5201234569", "JK9MN2PQ");
    await page.getByRole("checkbox").first().waitFor(WAIT);
  });
});

test("a wrong lookup code gets the not-found message tied to the form", async () => {
  await onPhone("wrong-code", async (page) => {
    await lookUp(page, "5201234567", "ZZZZ9999");

    const message = page.getByText("Không tìm thấy khoản thu nào.", { exact: false }).first();
    await message.waitFor(WAIT);
    assert.equal(await page.getByRole("checkbox").count(), 0);
  });
});

test("a code too short, entered from the code field, is announced and tied to the field", async () => {
  await onPhone("short-code", async (page) => {
    await recordTakeover(page);
    await page.goto(`${BASE}/?student=5201234567`);
    await page.waitForFunction(() => window.__takenOver !== undefined, null, WAIT);
    const code = page.locator("#lookup-code");
    await code.click();
    await page.keyboard.type("AB1");

    await page.keyboard.press("Enter");

    const message = "Mã tra cứu có từ 6 đến 12 ký tự.";
    await page.getByRole("status").filter({ hasText: message }).waitFor(WAIT);
    assert.equal(await page.evaluate(() => document.activeElement?.id), "lookup-code");
    assert.equal(await code.getAttribute("aria-invalid"), "true");
    assert.match(await code.getAttribute("aria-describedby"), /lookup-code-error/);
  });
});

test("the static first screen is painted before the app takes it over and stays the largest paint", async () => {
  await onPhone("first-paint", async (page) => {
    await page.addInitScript(() => {
      window.__paints = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) window.__paints.push(entry.startTime);
      }).observe({ type: "largest-contentful-paint", buffered: true });
    });
    await recordTakeover(page);
    await page.goto(`${BASE}/?student=5201234567`);
    await page.waitForFunction(() => window.__takenOver !== undefined, null, WAIT);
    await page.waitForTimeout(300);

    const { paints, takenOver, firstContentful } = await page.evaluate(() => ({
      paints: window.__paints,
      takenOver: window.__takenOver,
      firstContentful: performance.getEntriesByName("first-contentful-paint")[0]?.startTime,
    }));
    assert.ok(firstContentful < takenOver, `first paint ${firstContentful} ms, app at ${takenOver} ms`);
    assert.ok(paints.length > 0, "a largest contentful paint was reported");
    for (const paint of paints) {
      assert.ok(paint <= firstContentful, `a larger paint at ${paint} ms, after the first at ${firstContentful} ms`);
    }
  });
});

test("codes submitted in the static form before the app has loaded are looked up when it arrives", async () => {
  await onPhone("early-submit", async (page) => {
    const release = await holdWasm(page);
    await page.goto(`${BASE}/?student=5201234569`);
    await page.locator("#lookup-code").fill("JK9MN2PQ");
    await page.getByRole("button", { name: "Tra cứu", exact: true }).click();
    await page.getByText("Đang tải trang, sẽ tra cứu ngay khi tải xong…").waitFor(WAIT);

    release();
    await page.getByText("Lê H. C.").first().waitFor(WAIT);
    await page.getByRole("checkbox").first().waitFor(WAIT);
    assert.equal(await page.locator("#lookup-code").inputValue(), "JK9MN2PQ", "the typed code is kept");
  });
});

test("a parent typing while the app takes over keeps the field, the focus and every key", async () => {
  await onPhone("typing-through", async (page) => {
    const release = await holdWasm(page);
    await recordTakeover(page);
    await page.goto(`${BASE}/?student=5201234568`);
    await page.locator("#lookup-code").click();
    await page.keyboard.type("EF56");

    release();
    await page.waitForFunction(() => window.__focusAtTakeover !== undefined, null, WAIT);
    await page.keyboard.type("GH78");

    assert.equal(await page.evaluate(() => window.__focusAtTakeover), "lookup-code", "focus moves with the field at once");
    assert.equal(await page.locator("#lookup-code").inputValue(), "EF56GH78");
  });
});

test("back from the gateway, paying again reopens the same payment instead of making a second", async () => {
  await onPhone("back-from-gateway", async (page) => {
    const reference = () => new URL(page.url()).searchParams.get("vnp_TxnRef");
    await lookUp(page, "5201234569", "JK9MN2PQ");
    await page.getByRole("checkbox").first().waitFor(WAIT);
    for (const box of await page.getByRole("checkbox").all()) await box.check();
    await chooseVnpay(page);
    await page.locator(".button--pay").click();
    await page.waitForURL(/\/sim\/vnpay\//, WAIT);
    const first = reference();
    assert.match(first ?? "", /^HP\d{12}[A-Z2-9]{8}$/);

    await page.goBack();
    const pay = page.locator(".button--pay");
    const form = page.getByLabel("Mã tra cứu", { exact: true });
    await pay.or(form).first().waitFor(WAIT);
    if (!(await pay.isVisible())) {
      await lookUp(page, "5201234569", "JK9MN2PQ");
      await page.getByRole("checkbox").first().waitFor(WAIT);
      for (const box of await page.getByRole("checkbox").all()) await box.check();
      await chooseVnpay(page);
    }
    assert.ok(await pay.isEnabled(), "the pay button is not left busy");
    await pay.click();
    await page.waitForURL(/\/sim\/vnpay\//, WAIT);
    assert.equal(reference(), first);
  });
});

test("a parent can choose the MoMo wallet and pays through MoMo", async () => {
  await onPhone("momo", async (page) => {
    await lookUp(page, "5201234568", "EF56GH78");
    await page.getByRole("checkbox").first().waitFor(WAIT);
    const momo = page.getByRole("radio", { name: /Ví MoMo/ });
    const first = page.getByRole("radio").first();
    assert.match(await first.evaluate((radio) => radio.closest("label").textContent), /VietQR/, "the bank transfer is offered first");
    assert.equal(await first.isChecked(), true, "and chosen by default");

    await momo.check();
    await page.getByText("Bạn sẽ được chuyển sang trang của MoMo").first().waitFor(WAIT);
    await page.locator(".button--pay").click();
    await page.waitForURL(/\/sim\/momo\/pay/, WAIT);
    const returned = page.waitForRequest(/\/ket-qua\?.*orderId=/, WAIT);
    await page.getByRole("button", { name: "Xác nhận thanh toán" }).click();
    await returned;
    await page.waitForURL(/\/ket-qua\?/, WAIT);

    await page.getByText("Thanh toán thành công").first().waitFor(WAIT);
    await page.getByText("MoMo").first().waitFor(WAIT);
    await page.getByRole("link", { name: "Xem và in biên lai" }).waitFor(WAIT);
  });
});

test("a parent switching to English gets the page in English, fetched only then, and back", async () => {
  await onPhone("english", async (page) => {
    const fetched = [];
    page.on("request", (request) => {
      if (/\/en-[0-9a-f]+\.json$/.test(request.url())) fetched.push(request.url());
    });
    await page.goto(`${BASE}/`);
    await page.getByLabel("Mã học sinh", { exact: true }).waitFor(WAIT);
    assert.deepEqual(fetched, [], "a first visit in Vietnamese downloads no English");

    await page.getByRole("button", { name: "English", exact: true }).click();

    await page.getByLabel("Student code", { exact: true }).waitFor(WAIT);
    await page.getByRole("button", { name: "Look up", exact: true }).waitFor(WAIT);
    assert.equal(fetched.length, 1, "the English texts are fetched once, on the switch");
    await page.getByRole("button", { name: "Tiếng Việt", exact: true }).click();
    await page.getByLabel("Mã học sinh", { exact: true }).waitFor(WAIT);
  });
});

test("English chosen on the static screen while the app loads is the app's language when it arrives", async () => {
  await onPhone("english-static", async (page) => {
    const release = await holdWasm(page);
    await page.goto(`${BASE}/`);
    await page.getByRole("button", { name: "English", exact: true }).click();
    await page.getByText("The page will switch to English as soon as it has loaded.").waitFor(WAIT);

    release();
    await page.getByLabel("Student code", { exact: true }).waitFor(WAIT);
    assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  });
});

test("offline, switching to English keeps the page in Vietnamese and says why", async () => {
  await onPhone("english-offline", async (page) => {
    await page.goto(`${BASE}/`);
    await page.getByLabel("Mã học sinh", { exact: true }).waitFor(WAIT);
    await page.route(/\/en-[0-9a-f]+\.json$/, (route) => route.abort("internetdisconnected"));

    await page.getByRole("button", { name: "English", exact: true }).click();

    await page.getByText("Không tải được bản tiếng Anh", { exact: false }).first().waitFor(WAIT);
    await page.getByLabel("Mã học sinh", { exact: true }).waitFor(WAIT);
  });
});

/** The split modules (`split_<screen>-<hash>.wasm` and the `chunk_<n>-<hash>.wasm` they share) the page fetches. */
function recordSplitModules(page) {
  const fetched = [];
  page.on("request", (request) => {
    const name = new URL(request.url()).pathname.match(/^\/((?:split|chunk)_\w+|receipt)-[0-9a-f]{16}\.(?:wasm|css)$/)?.[1];
    if (name) fetched.push(name);
  });
  return fetched;
}

test("a first visit to the look-up form fetches no other screen's code; the invoices and the result screen fetch theirs", async () => {
  await onPhone("split-modules", async (page) => {
    const fetched = recordSplitModules(page);
    await page.goto(`${BASE}/`);
    await page.getByRole("button", { name: "Tra cứu", exact: true }).waitFor(WAIT);
    await page.waitForLoadState("networkidle");
    assert.deepEqual(fetched, [], "the look-up form needs no split module");

    await lookUp(page, "5201234569", "JK9MN2PQ");
    await page.getByRole("checkbox").first().waitFor(WAIT);
    assert.ok(fetched.includes("split_invoices"), `the invoices found fetched their module (${fetched})`);
    assert.ok(!fetched.includes("split_outcome") && !fetched.includes("split_receipt"), `and no other (${fetched})`);
    assert.ok(!fetched.includes("receipt"), `nor the receipt's stylesheet (${fetched})`);

    await page.goto(`${BASE}/ket-qua?ref=HP250901120000ABCDEFGH`);
    await page.getByText("Không tìm thấy giao dịch này.").first().waitFor(WAIT);
    assert.equal(fetched.filter((name) => name === "split_outcome").length, 1, `the result screen fetched its module once (${fetched})`);
    assert.ok(!fetched.includes("split_receipt"), "and not the receipt's");
  });
});

test("a screen whose code cannot be fetched says so, and Thử lại fetches it again", async () => {
  await onPhone("split-offline", async (page) => {
    const fetched = recordSplitModules(page);
    await page.route(/\/split_outcome-[0-9a-f]{16}\.wasm$/, (route) => route.abort("internetdisconnected"));
    await page.goto(`${BASE}/ket-qua?ref=HP250901120000ABCDEFGH`);

    await page.getByText("Không kết nối được máy chủ", { exact: false }).first().waitFor(WAIT);
    assert.equal(await page.getByRole("heading", { name: "Kết quả thanh toán" }).count(), 0, "no screen is made up");
    await page.unroute(/\/split_outcome-[0-9a-f]{16}\.wasm$/);
    const tried = fetched.filter((name) => name === "split_outcome").length;

    await page.getByRole("button", { name: "Thử lại", exact: true }).click();
    await page.getByRole("heading", { name: "Kết quả thanh toán" }).waitFor(WAIT);
    await page.getByText("Không tìm thấy giao dịch này.").first().waitFor(WAIT);
    assert.equal(fetched.filter((name) => name === "split_outcome").length, tried + 1, `fetched again on the retry (${fetched})`);
  });
});
