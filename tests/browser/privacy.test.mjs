// The privacy notice (Law 91/2025/QH15, Decree 356/2025/NĐ-CP): every screen's footer links to
// it, in the parent's language; the notice says who controls the data, what is kept, why, how
// long, the rights and how to use them, in Vietnamese and in English. Started by `cargo xtask
// test` like flows.test.mjs (same variables).

import { test } from "node:test";
import assert from "node:assert/strict";
import { BASE, WAIT, onPhone } from "./support.mjs";

/** What the notice must say, in each language. */
const NOTICE = {
  vi: {
    heading: "Thông báo về xử lý dữ liệu cá nhân",
    sections: ["Ai kiểm soát dữ liệu", "Chúng tôi lưu gì, để làm gì", "Lưu bao lâu", "Quyền của bạn", "Cách thực hiện"],
    says: ["Sở Giáo dục và Đào tạo", "30 ngày", "10 năm", "2 ngày làm việc", "72 giờ"],
  },
  en: {
    heading: "Personal data notice",
    sections: ["Who controls the data", "What we keep and why", "How long", "Your rights", "How to use them"],
    says: ["Department of Education and Training", "30 days", "10 years", "2 working days", "72 hours"],
  },
};

async function readsNotice(page, lang) {
  const { heading, sections, says } = NOTICE[lang];
  const section = page.locator(`section[lang="${lang}"]`);
  await section.getByRole("heading", { name: heading, level: 1 }).waitFor(WAIT);
  for (const name of sections) {
    await section.getByRole("heading", { name, level: 2 }).waitFor(WAIT);
  }
  const text = await section.innerText();
  for (const words of says) assert.ok(text.includes(words), `the ${lang} notice says "${words}"`);
}

test("the footer of the look-up screen leads to the notice in Vietnamese", async () => {
  await onPhone("privacy-vi", async (page) => {
    await page.goto(`${BASE}/`);
    await page.getByLabel("Mã học sinh", { exact: true }).waitFor(WAIT);

    await page.getByRole("link", { name: "Quyền riêng tư", exact: true }).click();

    await page.waitForURL(/\/quyen-rieng-tu\.html$/, WAIT);
    await readsNotice(page, "vi");
    await page.getByRole("link", { name: "Về trang tra cứu học phí" }).click();
    await page.getByLabel("Mã học sinh", { exact: true }).waitFor(WAIT);
  });
});

test("in English the footer says Privacy and opens the notice's English part", async () => {
  await onPhone("privacy-en", async (page) => {
    await page.goto(`${BASE}/`);
    await page.getByLabel("Mã học sinh", { exact: true }).waitFor(WAIT);
    await page.getByRole("button", { name: "English", exact: true }).click();
    await page.getByLabel("Student code", { exact: true }).waitFor(WAIT);

    await page.getByRole("link", { name: "Privacy", exact: true }).click();

    await page.waitForURL(/\/quyen-rieng-tu\.html#en$/, WAIT);
    await readsNotice(page, "en");
    assert.ok(await page.locator("section#en").isVisible());
  });
});

test("every screen links to the notice: the receipt and result screens too", async () => {
  await onPhone("privacy-every-screen", async (page) => {
    for (const path of ["/bien-lai/BLHP0000000001?t=00", "/ket-qua?ref=HP0000000001"]) {
      await page.goto(`${BASE}${path}`);
      const link = page.getByRole("link", { name: "Quyền riêng tư", exact: true });
      await link.waitFor(WAIT);
      assert.equal(await link.getAttribute("href"), "/quyen-rieng-tu.html", path);
    }
  });
});

test("the notice is a static page: no script, and its English switch is a link", async () => {
  await onPhone("privacy-static", async (page) => {
    const scripts = [];
    page.on("request", (request) => {
      if (request.resourceType() === "script") scripts.push(request.url());
    });
    const response = await page.goto(`${BASE}/quyen-rieng-tu.html`);
    assert.equal(response.status(), 200);
    await readsNotice(page, "vi");
    await page.getByRole("link", { name: "English", exact: true }).click();
    await page.waitForURL(/#en$/, WAIT);
    assert.deepEqual(scripts, []);
  });
});
