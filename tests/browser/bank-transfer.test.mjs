// The parent's bank-transfer path (VietQR through payOS), in headless Chromium, against the local
// stack with its payOS simulator: the QR screen on the site, paying at the simulator's "banking
// app" page (/sim/payos/bank/{orderCode}, what the QR code or the fallback link opens), the
// receipt; an underpayment ends in the mismatch message, never a receipt; an expired QR code
// offers a new one. Started by `cargo xtask test` like flows.test.mjs (same variables).
//
// The simulator's bank page (functions/gateways/src/payos/simulator/page.rs) is driven through
// the words in SIM below.

import { test } from "node:test";
import assert from "node:assert/strict";
import { BASE, WAIT, onPhone } from "./support.mjs";

/** The simulator bank page's controls. */
const SIM = {
  payExact: /^Chuyển đúng /,
  payOther: /^Chuyển số tiền này$/,
  otherAmount: /Hoặc chuyển số tiền khác/,
};

/** Looks up a demo student, ticks every invoice and asks for the VietQR code (the first method). */
async function showQr(page, student, code) {
  await page.goto(`${BASE}/?student=${student}`);
  await page.getByLabel("Mã tra cứu", { exact: true }).waitFor(WAIT);
  await page.getByLabel("Mã tra cứu", { exact: true }).fill(code);
  await page.getByRole("button", { name: "Tra cứu", exact: true }).click();
  await page.locator(".invoice__choice input").first().waitFor(WAIT);
  for (const box of await page.locator(".invoice__choice input").all()) await box.check();
  const transfer = page.getByRole("radio", { name: /Chuyển khoản ngân hàng \(VietQR\)/ });
  assert.equal(await transfer.isChecked(), true, "the bank transfer is offered first and chosen");
  await page.getByText("Mã VietQR hiện ngay trên trang này").first().waitFor(WAIT);
  await page.locator(".button--pay").click();
  await page.getByRole("heading", { name: "Chuyển khoản để thanh toán" }).waitFor(WAIT);
  assert.match(page.url(), /\/ket-qua\?ref=HP\d{12}[A-Z2-9]{4}$/, "a reload shows the same transfer");
  return new URL(page.url()).searchParams.get("ref");
}

/** Opens the simulator's bank page from the fallback link, in a second page as a banking app would. */
async function bankPage(page, context) {
  const href = await page.getByRole("link", { name: "Mở trang thanh toán payOS" }).getAttribute("href");
  assert.match(href ?? "", /\/sim\/payos\//);
  const bank = await context.newPage();
  await bank.goto(href);
  if (!/\/sim\/payos\/bank\//.test(bank.url())) {
    await bank.locator('a[href*="/sim/payos/bank/"]').first().click();
    await bank.waitForURL(/\/sim\/payos\/bank\/\d+/, WAIT);
  }
  return bank;
}

test("a parent pays by VietQR without leaving the site and lands on the receipt", async () => {
  await onPhone("bank-transfer-paid", async (page, context) => {
    const reference = await showQr(page, "5201234567", "AB12CD34");
    await page.getByRole("img", { name: "Mã VietQR để chuyển khoản" }).waitFor(WAIT);
    for (const label of ["Số tài khoản", "Chủ tài khoản", "Số tiền", "Nội dung chuyển khoản"]) {
      await page.getByText(label, { exact: true }).first().waitFor(WAIT);
    }
    await page.getByText("0071000123456").waitFor(WAIT);
    await page.getByText("TRUONG THCS NGO QUYEN").waitFor(WAIT);
    await page.getByText("Không sửa số tiền và nội dung chuyển khoản", { exact: false }).waitFor(WAIT);
    await page.getByRole("timer").waitFor(WAIT);
    assert.match(await page.getByRole("timer").innerText(), /^\d{1,2}:\d{2}$/);
    const save = page.getByRole("link", { name: "Lưu ảnh mã QR" });
    assert.match(await save.getAttribute("href"), /^data:image\/png;base64,iVBORw0KGgo/);
    assert.match(await save.getAttribute("download"), new RegExp(`${reference}\\.png$`));
    // Chromium's own decoder reads the picture: a white quiet zone, then the finder pattern's
    // dark corner, at 8 pixels a module of the code the page draws.
    const picture = await save.evaluate(async (link) => {
      const image = new Image();
      image.src = link.getAttribute("href");
      await image.decode();
      const canvas = document.createElement("canvas");
      canvas.width = image.naturalWidth;
      canvas.height = image.naturalHeight;
      const drawn = canvas.getContext("2d");
      drawn.drawImage(image, 0, 0);
      const grey = (x, y) => drawn.getImageData(x, y, 1, 1).data[0];
      const side = document.querySelector(".transfer__qr svg").viewBox.baseVal.width;
      return { width: image.naturalWidth, height: image.naturalHeight, side, quiet: grey(31, 31), finder: grey(36, 36) };
    });
    assert.ok(picture.side >= 21 + 8, `a code of at least 21 modules and its quiet zone: ${picture.side}`);
    assert.deepEqual([picture.width, picture.height], [picture.side * 8, picture.side * 8]);
    assert.deepEqual([picture.quiet, picture.finder], [255, 0], "white quiet zone, dark finder pattern");

    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
    await page.getByRole("button", { name: /Chép · Số tài khoản/ }).click();
    await page.getByRole("button", { name: /Đã chép · Số tài khoản/ }).waitFor(WAIT);
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), "0071000123456");

    const bank = await bankPage(page, context);
    await bank.getByRole("button", { name: SIM.payExact }).first().click();

    await page.getByText("Thanh toán thành công").first().waitFor(WAIT);
    await page.getByRole("link", { name: "Xem và in biên lai" }).click();
    await page.waitForURL(/\/bien-lai\//, WAIT);
    await page.getByText("Biên lai thu tiền").first().waitFor(WAIT);
    await page.getByText("VietQR").first().waitFor(WAIT);
  });
});

test("back from payOS's own page, the result page follows the payment this tab opened", async () => {
  await onPhone("bank-transfer-return", async (page, context) => {
    const reference = await showQr(page, "5201234569", "JK9MN2PQ");
    const bank = await bankPage(page, context);
    const orderCode = bank.url().match(/\/bank\/(\d+)/)?.[1];
    // The result page replaces its address (the gateway's parameters leave the history) as soon
    // as the app runs: the return is matched when it commits, waited for from before the click.
    await Promise.all([
      bank.waitForURL(/\/ket-qua\?.*orderCode=/, { ...WAIT, waitUntil: "commit" }),
      bank.getByRole("button", { name: SIM.payExact }).first().click(),
    ]);

    await page.goto(`${BASE}/ket-qua?code=00&id=x&cancel=false&status=PAID&orderCode=${orderCode}`);
    await page.getByText("Thanh toán thành công").first().waitFor(WAIT);
    await page.getByText(reference).first().waitFor(WAIT);
  });
});

test("an underpaid transfer ends in a clear message and never a receipt", async () => {
  await onPhone("bank-transfer-underpaid", async (page, context) => {
    await showQr(page, "5201234568", "EF56GH78");
    const bank = await bankPage(page, context);
    await bank.getByLabel(SIM.otherAmount).first().fill("1000");
    await bank.getByRole("button", { name: SIM.payOther }).first().click();

    await page.getByText("Số tiền chuyển khoản không khớp").first().waitFor(WAIT);
    await page.getByText("Nhà trường sẽ hoàn lại số tiền này cho bạn", { exact: false }).first().waitFor(WAIT);
    await page.getByText("Số tiền đã nhận").first().waitFor(WAIT);
    await page.getByText("1.000\u00a0₫").first().waitFor(WAIT);
    assert.equal(await page.getByRole("link", { name: "Xem và in biên lai" }).count(), 0);
  });
});

test("an expired QR code is taken away and a new one is offered (the invoices an underpayment freed)", async () => {
  await onPhone("bank-transfer-expired", async (page) => {
    await page.clock.install();
    await showQr(page, "5201234568", "EF56GH78");
    await page.getByRole("img", { name: "Mã VietQR để chuyển khoản" }).waitFor(WAIT);

    await page.clock.fastForward("20:00");

    await page.getByText("Mã QR đã hết hạn").first().waitFor(WAIT);
    assert.equal(await page.getByRole("img", { name: "Mã VietQR để chuyển khoản" }).count(), 0);
    await page.getByRole("button", { name: "Tạo mã QR mới" }).waitFor(WAIT);
  });
});
