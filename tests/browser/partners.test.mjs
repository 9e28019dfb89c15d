// The national portal and the banks, in headless Chromium against the local stack: a parent paying
// through the portal's platform as a channel, a parent arriving from the portal's service page
// with a payment code (`/?ma=`), and a parent paying a bill in a bank's app (the local "bank app"
// at /sim/bank), who gets the same receipt page as a parent paying on hocphi's page.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { BASE, WAIT, onPhone } from "./support.mjs";

/** The local demo bank (functions/runtime/src/config.rs: LOCAL_BANK_PARTNER, LOCAL_BANK_KEY). */
const BANK = { id: "BANKDEMO", key: "LOCALPARTNERKEYBANKDEMO000000001" };

/** `POST /api/partners/{id}/{what}` signed as the generic profile documents (X-Hocphi-Signature). */
async function asBank(what, body) {
  const path = `/api/partners/${BANK.id}/${what}`;
  const text = JSON.stringify(body);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(12).toString("hex");
  const canonical = ["v1", "POST", path, timestamp, nonce, createHash("sha256").update(text).digest("hex")].join("\n");
  const response = await fetch(`${BASE}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-hocphi-timestamp": timestamp,
      "x-hocphi-nonce": nonce,
      "x-hocphi-signature": `v1=${createHmac("sha256", BANK.key).update(canonical).digest("hex")}`,
    },
    body: text,
  });
  assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
  return response.json();
}

/** Upper-case letters and digits without the look-alikes 0/O, 1/I/L (functions/domain/src/ids.rs). */
const ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/**
 * The payment code a fee notice prints for a demo student and the school year of their bill,
 * computed here as hocphi documents it (PaymentCode: HMAC-SHA256 under the local stack's lookup
 * key, whose file `cargo xtask test` names in HOCPHI_LOOKUP_KEY_FILE), so the page is checked
 * against a second implementation. A look-up by student code never hands the code out.
 */
async function paymentCode(student) {
  const { bills } = await asBank("bills", { student });
  assert.equal(bills.length, 1, "one bill: the demo school year");
  assert.equal(bills[0].payment_code, undefined, "a look-up by student code carries no payment code");
  const year = Number(bills[0].school_year.slice(2, 4));
  const key = readFileSync(process.env.HOCPHI_LOOKUP_KEY_FILE, "utf8").trim();
  const mac = createHmac("sha256", key)
    .update(Buffer.concat([Buffer.from("hocphi/payment-code/v1\0"), Buffer.from(student), Buffer.from([0, year])]))
    .digest();
  let rest = mac.readBigUInt64LE(0);
  let tag = "";
  for (let i = 0; i < 8; i += 1) {
    tag += ALPHABET[Number(rest % 31n)];
    rest /= 31n;
  }
  const code = `${student}-${String(year).padStart(2, "0")}${tag}`;
  const { bills: byCode } = await asBank("bills", { payment_code: code });
  assert.equal(byCode[0].payment_code, code, "the code computed here is the one hocphi issues");
  return code;
}

async function lookUp(page, student, code) {
  await page.goto(`${BASE}/?student=${student}`);
  await page.getByLabel("Mã tra cứu", { exact: true }).fill(code);
  await page.getByRole("button", { name: "Tra cứu", exact: true }).click();
  await page.getByRole("checkbox").first().waitFor(WAIT);
}

test("a parent can choose the national portal, pays there and gets the receipt", async () => {
  await onPhone("portal-channel", async (page) => {
    await lookUp(page, "5201234569", "JK9MN2PQ");
    const names = await page.getByRole("radio").evaluateAll((radios) =>
      radios.map((radio) => radio.closest("label").textContent.trim()));
    const portal = names.indexOf("Thanh toán qua Cổng Dịch vụ công");
    assert.ok(portal > names.findIndex((name) => /MoMo/.test(name)), `the portal comes after MoMo: ${names}`);

    await page.getByRole("radio", { name: "Thanh toán qua Cổng Dịch vụ công" }).check();
    await page.getByText("Bạn sẽ được chuyển sang Cổng Dịch vụ công").first().waitFor(WAIT);
    await page.locator(".button--pay").click();
    await page.waitForURL(/\/sim\/dvcqg\//, WAIT);
    // The result page replaces its address (the portal's parameters leave the history) as soon
    // as the app runs: the return is matched when it commits, waited for from before the click.
    await Promise.all([
      page.waitForURL(/\/ket-qua\?.*MaThamChieu=/, { ...WAIT, waitUntil: "commit" }),
      page.getByRole("button", { name: "Thanh toán", exact: true }).click(),
    ]);

    await page.getByText("Thanh toán thành công").first().waitFor(WAIT);
    await page.getByText("Cổng Dịch vụ công").first().waitFor(WAIT);
    await page.getByRole("link", { name: "Xem và in biên lai" }).click();
    await page.waitForURL(/\/bien-lai\//, WAIT);
    await page.getByText("Biên lai thu tiền").first().waitFor(WAIT);
    await page.getByText("1.359.520\u00a0₫").first().waitFor(WAIT);
  });
});

test("a link with a payment code looks the student up at once with every invoice ticked, and pays with that code", async () => {
  const code = await paymentCode("5201234567");
  await onPhone("payment-code-link", async (page) => {
    await page.goto(`${BASE}/?ma=${encodeURIComponent(code)}`);

    await page.getByText("Nguyễn V. A.").first().waitFor(WAIT);
    const boxes = page.locator(".invoice__choice input");
    await boxes.first().waitFor(WAIT);
    assert.equal(await boxes.count(), 2);
    for (const box of await boxes.all()) assert.equal(await box.isChecked(), true, "every invoice shown is ticked");
    assert.equal(await page.getByRole("checkbox", { name: /Quỹ khuyến học/ }).isChecked(), false, "a voluntary line is not");
    await page.getByText("Đã chọn 2/2 khoản").first().waitFor(WAIT);
    await page.getByRole("radio", { name: /VNPay/ }).check();
    await page.locator(".button--pay").click();
    await page.waitForURL(/\/sim\/vnpay\//, WAIT);
    await page.goBack();

    await page.getByRole("button", { name: "Tra cứu học sinh khác" }).click();
    const student = page.getByLabel("Mã học sinh", { exact: true });
    await student.waitFor(WAIT);
    await student.fill("5201234568");
    await page.getByLabel("Mã tra cứu", { exact: true }).fill("EF56GH78");
    await page.getByRole("button", { name: "Tra cứu", exact: true }).click();
    await page.getByText("Trần T. B.").first().waitFor(WAIT);
  });
});

test("a link with a payment code that does not verify gets the look-up error and the form", async () => {
  await onPhone("payment-code-wrong", async (page) => {
    await page.goto(`${BASE}/?ma=5201234568-25AAAAAAAA`);

    await page.getByText("Không tìm thấy khoản thu nào.", { exact: false }).first().waitFor(WAIT);
    assert.equal(await page.getByRole("checkbox").count(), 0);
    const student = page.getByLabel("Mã học sinh", { exact: true });
    assert.equal(await student.inputValue(), "5201234568", "the code's student stays in the form");
    await page.getByLabel("Mã tra cứu", { exact: true }).fill("EF56GH78");
    await page.getByRole("button", { name: "Tra cứu", exact: true }).click();
    await page.getByRole("checkbox").first().waitFor(WAIT);
  });
});

test("a parent paying in a bank's app gets the receipt page a parent paying here gets", async () => {
  await onPhone("bank-app", async (page) => {
    await page.goto(`${BASE}/sim/bank`);
    await page.getByLabel(/^Mã học sinh hoặc mã thanh toán/).fill("5201234568");
    await page.getByRole("button", { name: "Tra cứu", exact: true }).click();
    await page.getByRole("button", { name: /^Thanh toán 720\.000/ }).click();

    await page.getByText("Thanh toán thành công").first().waitFor(WAIT);
    const receipt = page.getByRole("link", { name: "Xem biên lai của nhà trường" });
    await receipt.waitFor(WAIT);
    const href = new URL(await receipt.getAttribute("href"), page.url());
    assert.equal(href.origin, new URL(BASE).origin, "the receipt is on hocphi's own site");
    assert.match(href.pathname + href.search, /^\/bien-lai\/[^/?]+\?t=[0-9a-f]{32}$/);
    await page.goto(href.toString());

    await page.getByText("Biên lai thu tiền").first().waitFor(WAIT);
    await page.getByText("720.000\u00a0₫").first().waitFor(WAIT);
    await page.getByText("Trường Tiểu học Lê Lợi", { exact: false }).first().waitFor(WAIT);
    assert.ok(await page.locator("svg").count() >= 1, "the receipt carries its QR code");
  });
});
