// What a parent sees of each kind of collection, in headless Chromium against the local stack's
// demo data (functions/local/src/demo.rs): a public school's invoice (meals by the day, health
// insurance collected for Social Security, a voluntary contribution offered apart and never
// ticked at first) and a private school's tuition less the state subsidy and a reduction; both
// paid at the VNPay simulator and printed as the school's receipt, in sections, never called an
// electronic receipt. Started by `cargo xtask test` like the other files here.

import { test } from "node:test";
import assert from "node:assert/strict";
import { BASE, WAIT, onPhone } from "./support.mjs";

const NBSP = "\u00a0";

async function lookUp(page, student, code) {
  await page.goto(`${BASE}/?student=${student}`);
  await page.getByLabel("Mã tra cứu", { exact: true }).fill(code);
  await page.getByRole("button", { name: "Tra cứu", exact: true }).click();
  await page.locator(".invoice__choice input").first().waitFor(WAIT);
}

/** Pays at the VNPay simulator, opens the receipt, and answers the body the page sent. */
async function payAndOpenReceipt(page) {
  const sent = page.waitForRequest((r) => r.method() === "POST" && new URL(r.url()).pathname === "/api/payments");
  const vnpay = page.getByRole("radio", { name: /VNPay/ });
  if (await vnpay.count()) await vnpay.check();
  await page.locator(".button--pay").click();
  const body = JSON.parse((await sent).postData());
  await page.waitForURL(/\/sim\/vnpay\//, WAIT);
  await page.getByRole("button", { name: "Thanh toán thành công" }).click();
  await page.waitForURL(/\/ket-qua/, WAIT);
  await page.getByText("Thanh toán thành công").first().waitFor(WAIT);
  assert.equal(await page.getByText(/biên lai điện tử/i).count(), 0, "the result page claims no e-receipt");
  await page.getByRole("link", { name: "Xem và in biên lai" }).click();
  await page.waitForURL(/\/bien-lai\//, WAIT);
  await page.getByText("Biên lai thu tiền").first().waitFor(WAIT);
  return body;
}

/** The receipt is the school's voucher: template, series and number, an empty e-invoice slot. */
async function assertSchoolsVoucher(page) {
  for (const label of ["Mẫu số", "Ký hiệu", "Số", "Số hóa đơn điện tử"]) {
    await page.locator(".receipt dt", { hasText: new RegExp(`^${label}$`) }).first().waitFor(WAIT);
  }
  await page.getByText("(chưa có)").first().waitFor(WAIT);
  assert.equal(await page.getByText(/biên lai điện tử/i).count(), 0, "the receipt is not called an e-receipt");
}

test("a public school's voluntary item is offered apart, unticked, and adds to the amount only when ticked", async () => {
  await onPhone("collections-public", async (page) => {
    await lookUp(page, "5201234567", "AB12CD34");

    await page.getByRole("heading", { name: "Các khoản thu cần nộp" }).waitFor(WAIT);
    await page.getByText(`21 ngày × 25.000${NBSP}₫`).first().waitFor(WAIT);
    await page.getByText("Thu hộ Bảo hiểm xã hội tỉnh Gia Lai", { exact: false }).first().waitFor(WAIT);
    assert.equal(await page.locator(".invoice-list").getByText(/Học phí/).count(), 0, "a public school bills no tuition");
    const group = page.getByRole("group", { name: "Khoản tự nguyện (không bắt buộc)" });
    const fund = group.getByRole("checkbox", { name: /Quỹ khuyến học/ });
    await fund.waitFor(WAIT);
    assert.equal(await fund.isChecked(), false, "never ticked at first");
    assert.equal(await page.locator(".invoice__choice input").count(), 2, "only whole invoices are ticked");
    const pay = page.locator(".button--pay");
    assert.equal(await pay.innerText(), `Thanh toán 1.559.520${NBSP}₫`, "the total leaves it out");

    await fund.check();

    assert.equal(await pay.innerText(), `Thanh toán 1.659.520${NBSP}₫`);
    await page.getByText("Trong đó, khoản tự nguyện").waitFor(WAIT);
    const body = await payAndOpenReceipt(page);
    assert.equal(body.voluntary.length, 1, JSON.stringify(body));
    assert.equal(body.voluntary[0].line, 2, "its position in the invoice's items");
    assert.match(body.voluntary[0].invoice_id, /^NQ-\d{4}-T-0001$/);
    await page.locator(".receipt__section", { hasText: "Các khoản thu của nhà trường" }).waitFor(WAIT);
    await page.locator(".receipt__section", { hasText: "Thu hộ: Bảo hiểm xã hội tỉnh Gia Lai" }).waitFor(WAIT);
    await page.getByText(`884.520${NBSP}₫`).first().waitFor(WAIT);
    await assertSchoolsVoucher(page);
    await page.locator(".receipt__lines", { hasText: "Quỹ khuyến học" }).waitFor(WAIT);
    await page.getByText(`1.659.520${NBSP}₫`).first().waitFor(WAIT);
  });
});

test("a private school's tuition shows the subsidy and the reduction as deductions and its receipt says tuition and fees", async () => {
  await onPhone("collections-private", async (page) => {
    await lookUp(page, "6401234570", "RS7TU3VW");

    await page.getByRole("heading", { name: "Học phí và các khoản thu cần nộp" }).waitFor(WAIT);
    await page.getByText(`4 tháng × 1.500.000${NBSP}₫`).first().waitFor(WAIT);
    await page.getByText(`\u2212300.000${NBSP}₫`).first().waitFor(WAIT);
    await page.getByText(`\u22121.200.000${NBSP}₫`).first().waitFor(WAIT);
    assert.equal(await page.getByRole("group", { name: /Khoản tự nguyện/ }).count(), 0);
    assert.equal(await page.getByRole("radio", { name: /VietQR/ }).count(), 0, "a school without a payee offers no bank transfer");
    assert.equal(await page.locator(".button--pay").innerText(), `Thanh toán 5.235.000${NBSP}₫`);

    const body = await payAndOpenReceipt(page);

    assert.equal(body.voluntary, undefined, "no voluntary line is sent unless ticked");
    await page.locator(".receipt__section", { hasText: "Học phí và các khoản thu của nhà trường" }).waitFor(WAIT);
    await page.getByText("Miễn, giảm theo quy định").first().waitFor(WAIT);
    await page.getByText(`\u2212300.000${NBSP}₫`).first().waitFor(WAIT);
    await page.getByText(`5.235.000${NBSP}₫`).first().waitFor(WAIT);
    await assertSchoolsVoucher(page);
  });
});
