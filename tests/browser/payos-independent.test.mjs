// payOS and VietQR as others implement them, against the local stack: payOS's own Node SDK
// (@payos/node) signs the webhooks hocphi verifies and drives the local payOS simulator (checking
// every signature the simulator answers with), and an independent VietQR decoder
// (vietnam-qr-pay) reads the QR payload hocphi hands the page. Started by `cargo xtask test`
// like the other files here (HOCPHI_BASE_URL names the local stack).
//
// The keys are the local stack's (hocphi_runtime::config::LOCAL_PAYOS_*): they protect nothing
// but the simulator.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { PayOS } from "@payos/node";
import { QRPay } from "vietnam-qr-pay";

const BASE = process.env.HOCPHI_BASE_URL ?? "http://127.0.0.1:8080";

const LE_LOI = {
  payee: "BD-TH-LELOI",
  clientId: "LOCALPAYOS-LL",
  apiKey: "LOCALPAYOSAPIKEY-LL",
  checksumKey: "LOCALPAYOSCHECKSUMKEYLELOI000000001",
  bin: "970415",
  account: "113000456789",
};

const NGO_QUYEN = {
  payee: "BD-THCS-NGOQUYEN",
  clientId: "LOCALPAYOS-NQ",
  apiKey: "LOCALPAYOSAPIKEY-NQ",
  checksumKey: "LOCALPAYOSCHECKSUMKEYNGOQUYEN0001",
  bin: "970436",
  account: "0071000123456",
};

/** payOS's SDK for one local channel, its API calls sent to the simulator at /sim/payos. */
function sdk(channel) {
  const origin = new URL(BASE).origin;
  return new PayOS({
    clientId: channel.clientId,
    apiKey: channel.apiKey,
    checksumKey: channel.checksumKey,
    baseURL: origin,
    maxRetries: 0,
    logLevel: "off",
    fetch: (url, init) => fetch(String(url).replace(`${origin}/`, `${origin}/sim/payos/`), init),
  });
}

async function json(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${response.status} ${text}`);
  }
}

/** Looks up a demo student and opens a bank-transfer payment for every open invoice. */
async function openTransfer(student, code) {
  const invoices = await json(await fetch(`${BASE}/api/invoices?student=${student}&code=${code}`));
  assert.ok(invoices.gateways.includes("payos"), "the student's school is offered bank transfer");
  const response = await fetch(`${BASE}/api/payments`, {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": randomUUID() },
    body: JSON.stringify({
      student,
      code,
      invoice_ids: invoices.invoices.map((i) => i.id),
      gateway: "payos",
    }),
  });
  const payment = await json(response);
  assert.equal(response.status, 201, JSON.stringify(payment));
  assert.ok(payment.transfer, "a bank transfer answer carries the transfer's details");
  const orderCode = Number(new URL(payment.redirect_url).pathname.split("/").pop());
  assert.ok(Number.isSafeInteger(orderCode), `an orderCode in ${payment.redirect_url}`);
  return { payment, orderCode };
}

async function status(reference) {
  return json(await fetch(`${BASE}/api/payments/${reference}`));
}

async function until(reference, wanted) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const answer = await status(reference);
    if (answer.status === wanted || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const servers = [];
after(() => servers.forEach((s) => s.close()));

test("hocphi's VietQR payload reads, with an independent decoder, as the school's account, the exact amount and the memo", async () => {
  const { payment } = await openTransfer("5201234569", "JK9MN2PQ");
  const qr = new QRPay(payment.transfer.qr_code);

  assert.equal(qr.isValid, true, "the CRC and the layout are valid");
  assert.equal(qr.provider.name, "VIETQR");
  assert.equal(qr.consumer.bankBin, NGO_QUYEN.bin);
  assert.equal(qr.consumer.bankNumber, NGO_QUYEN.account);
  assert.equal(payment.transfer.bank_bin, NGO_QUYEN.bin);
  assert.equal(payment.transfer.account_number, NGO_QUYEN.account);
  assert.equal(qr.amount, payment.amount);
  assert.equal(payment.transfer.amount, payment.amount);
  assert.equal(qr.additionalData.purpose, payment.transfer.memo);
  assert.ok(payment.transfer.memo.includes(payment.payment_ref), "the memo names the payment");
});

test("a webhook signed by payOS's own SDK settles the payment once; the same webhook tampered changes nothing", async () => {
  const { payment, orderCode } = await openTransfer("5201234568", "EF56GH78");
  // Lê Lợi's account is not linked through payOS: the memo the QR code carries, and the page
  // shows, is payOS's matching code and the reference's last nine characters.
  assert.equal(new QRPay(payment.transfer.qr_code).additionalData.purpose, payment.transfer.memo);
  assert.match(payment.transfer.memo, new RegExp(`^CS[0-9A-Z]{9} ${payment.payment_ref.slice(-9)}$`));
  const client = sdk(LE_LOI);
  const data = {
    orderCode,
    amount: Number(payment.amount),
    description: payment.transfer.memo,
    accountNumber: LE_LOI.account,
    reference: "FT26339000000001",
    transactionDateTime: "2026-12-05 10:11:12",
    currency: "VND",
    paymentLinkId: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    code: "00",
    desc: "success",
    counterAccountBankId: "",
    counterAccountBankName: "",
    counterAccountName: "",
    counterAccountNumber: "",
    virtualAccountName: "",
    virtualAccountNumber: "",
  };
  const signature = await client.crypto.createSignatureFromObj(data, LE_LOI.checksumKey);
  const url = `${BASE}/api/callbacks/payos/${LE_LOI.payee}`;
  const post = (body) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  const tampered = await post({ code: "00", desc: "success", success: true, data: { ...data, amount: data.amount * 2 }, signature });
  assert.equal(tampered.status, 400, "a body whose signature does not match is refused");
  assert.equal((await status(payment.payment_ref)).status, "pending");

  const elsewhere = await fetch(`${BASE}/api/callbacks/payos/${NGO_QUYEN.payee}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code: "00", desc: "success", success: true, data, signature }),
  });
  assert.equal(elsewhere.status, 400, "another payee's webhook address verifies with that payee's key");
  assert.equal((await status(payment.payment_ref)).status, "pending");

  const body = { code: "00", desc: "success", success: true, data, signature };
  const answers = await Promise.all([post(body), post(body), post(body)]);
  assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
  const paid = await until(payment.payment_ref, "succeeded");
  assert.equal(paid.status, "succeeded");
  assert.ok(paid.receipt, "one receipt");
});

test("the payOS simulator answers payOS's own SDK as payOS does: a signed link, its status and its cancellation", async () => {
  const client = sdk(NGO_QUYEN);
  const orderCode = Date.now() % 1_000_000_000;
  const link = await client.paymentRequests.create({
    orderCode,
    amount: 2000,
    description: "SDK check",
    cancelUrl: `${BASE}/ket-qua`,
    returnUrl: `${BASE}/ket-qua`,
    expiredAt: Math.floor(Date.now() / 1000) + 900,
  });
  assert.equal(link.orderCode, orderCode);
  assert.equal(link.amount, 2000);
  assert.equal(link.bin, NGO_QUYEN.bin);
  assert.equal(link.accountNumber, NGO_QUYEN.account);
  assert.equal(link.status, "PENDING");
  const qr = new QRPay(link.qrCode);
  assert.equal(qr.isValid, true);
  assert.equal(qr.consumer.bankNumber, NGO_QUYEN.account);
  assert.equal(qr.amount, "2000");

  const read = await client.paymentRequests.get(orderCode);
  assert.equal(read.status, "PENDING");
  assert.equal(read.amount, 2000);

  const cancelled = await client.paymentRequests.cancel(orderCode, "SDK check");
  assert.equal(cancelled.status, "CANCELLED");
  await assert.rejects(
    sdk(LE_LOI).paymentRequests.get(orderCode),
    "a link is not visible to another channel",
  );
});

test("the simulator's test webhook for a confirmed webhook address verifies with payOS's own SDK", async () => {
  const received = new Promise((resolve) => {
    const server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        response.writeHead(200).end();
        resolve(JSON.parse(body));
      });
    });
    servers.push(server);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      sdk(NGO_QUYEN).webhooks.confirm(`http://127.0.0.1:${port}/webhook`).catch((e) => resolve({ error: String(e) }));
    });
  });
  const webhook = await received;
  assert.equal(webhook.error, undefined, webhook.error);
  const data = await sdk(NGO_QUYEN).webhooks.verify(webhook);
  assert.equal(typeof data.orderCode, "number");
});
