// The approver's page in a real browser (Debian's chromium, driven by playwright-core) against
// the local chain of scripts/local-chain.sh (wasmd, three real connectors), whose JSON file
// MPC_LOCAL_CHAIN_JSON names; skipped without it. The built page (dist/) is served here.
//
// Accounts: the chain's third account (`alice` here) funds two fresh ones, `approver` (the second owner,
// who uses the page) and `carol`, so the approver's inbox is empty at first on any chain, however
// often the test ran on it. One workspace of the three, sign policy 3 of 3 owners, admin policy
// 2 of 3, one ECDSA key. Every assertion reads what the page shows; screenshots of each step
// go to test-artifacts/ (or MPC_APPROVER_ARTIFACTS).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";
import { sha256 } from "@noble/hashes/sha2";
import { toHex, toUtf8 } from "@cosmjs/encoding";
import { hashTypedData, hexToBytes, keccak256, serializeTransaction } from "viem";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { chromium, type Browser, type Page } from "playwright-core";
import { CometEventSource, MpcClient, WorkspaceComposer } from "@mpc-suite/client";
import { serveDist, type StaticServer } from "./server.js";
import { EVM_TX, TYPED } from "./fixtures.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../.."); // apps/approver (the test runs from build-test/test)
const chainPath = process.env["MPC_LOCAL_CHAIN_JSON"];
const skip = chainPath ? false : "MPC_LOCAL_CHAIN_JSON is unset: no local chain to run the browser test on";
const artifacts = process.env["MPC_APPROVER_ARTIFACTS"] ?? join(root, "test-artifacts");
const chromiumPath = process.env["CHROMIUM"] ?? "/usr/bin/chromium";

interface LocalChain {
  chainId: string;
  rpc: string;
  websocket: string;
  prefix: string;
  denom: string;
  gasPrice: string;
  contracts: { workspace: string; keyring: string; signatureRequests: string };
  keyringId: number;
  mnemonics: string[];
  accounts: { name: string; mnemonic: string }[];
}

interface Owner {
  address: string;
  mnemonic: string;
  chain: SigningCosmWasmClient;
  mpc: MpcClient;
}

let chain: LocalChain;
let server: StaticServer;
let browser: Browser;
let page: Page;
let alice: Owner, approver: Owner, carol: Owner;
const clients: SigningCosmWasmClient[] = [];
let workspaceId = 0;
let keyId = 0;
let shot = 0;
const pageErrors: string[] = [];

async function owner(mnemonic: string): Promise<Owner> {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: chain.prefix });
  const address = (await wallet.getAccounts())[0]!.address;
  const c = await SigningCosmWasmClient.connectWithSigner(chain.rpc, wallet, { gasPrice: GasPrice.fromString(chain.gasPrice) });
  clients.push(c);
  return { address, mnemonic, chain: c, mpc: new MpcClient(c, address, { contracts: chain.contracts, events: new CometEventSource(chain.websocket) }) };
}

async function fresh(): Promise<Owner> {
  const wallet = await DirectSecp256k1HdWallet.generate(24, { prefix: chain.prefix });
  return owner(wallet.mnemonic);
}

async function screenshot(name: string): Promise<void> {
  shot++;
  await page.screenshot({ path: join(artifacts, `${String(shot).padStart(2, "0")}-${name}.png`), fullPage: true });
}

const item = (text: string) => sha256(toUtf8(text));

async function requestSignature(by: Owner, texts: string[]): Promise<number> {
  return by.mpc.requestSignature({ keyId, items: texts.map(item), approvalTimeoutBlocks: 1000 });
}

/** The page's text for a selector (waiting for it). */
async function text(selector: string): Promise<string> {
  return (await page.locator(selector).first().textContent({ timeout: 30_000 })) ?? "";
}

async function noHorizontalScroll(): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  assert.ok(scrollWidth <= innerWidth, `horizontal scroll at ${innerWidth}px: the page is ${scrollWidth}px wide`);
}

/** Every visible control is reached by Tab, in order, from the top of the page. */
async function everyControlTabbable(): Promise<number> {
  const count = await page.evaluate(() => {
    const all = [...document.querySelectorAll<HTMLElement>("a[href], button:not([disabled]), input, textarea, select, summary, [tabindex]:not([tabindex='-1'])")];
    const visible = all.filter((el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden");
    visible.forEach((el, i) => (el.dataset["tabcheck"] = String(i)));
    (document.activeElement as HTMLElement | null)?.blur();
    window.scrollTo(0, 0);
    return visible.length;
  });
  const reached = new Set<string>();
  // Scrollable regions take a Tab stop of their own in Chromium: a few presses to spare.
  for (let i = 0; i < count + 10 && reached.size < count; i++) {
    await page.keyboard.press("Tab");
    const id = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset["tabcheck"]);
    if (id !== undefined) reached.add(id);
  }
  const missing = await page.evaluate(
    (seen) => [...document.querySelectorAll<HTMLElement>("[data-tabcheck]")].filter((el) => !seen.includes(el.dataset["tabcheck"]!)).map((el) => el.outerHTML.slice(0, 80)),
    [...reached],
  );
  assert.deepEqual(missing, [], "controls not reached by Tab");
  return count;
}

/** axe-core on the page as it is: no serious or critical violation. */
async function accessible(what: string): Promise<void> {
  const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
  await page.addScriptTag({ content: readFileSync(axePath, "utf8") });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string | null; nodes: unknown[] }> }> } }).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  });
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(serious, [], `${what}: serious accessibility violations`);
}

/** In-page navigation (the session, held in the tab's memory, stays). */
async function go(hash: string): Promise<void> {
  await page.evaluate((h) => (location.hash = h), hash);
}

async function connect(mnemonic: string): Promise<void> {
  await page.fill("#mnemonic", mnemonic);
  await page.click("#connect-mnemonic");
  await page.waitForSelector("[data-testid=account]");
}

before(async () => {
  if (skip) return;
  chain = JSON.parse(readFileSync(chainPath!, "utf8")) as LocalChain;
  mkdirSync(artifacts, { recursive: true });
  // The previous run's screenshots (only those) go.
  readdirSync(artifacts).filter((f) => /^\d\d-.*\.png$/.test(f)).forEach((f) => rmSync(join(artifacts, f)));
  const { publicChainConfig } = await import("../src/chainConfig.js");
  const pub = publicChainConfig(chain);
  server = await serveDist(join(root, "dist"), { "chain.json": pub, "remote-chain.json": { ...pub, chainId: "cosmoshub-4", rpc: "https://rpc.example.org" } });
  // The chain's third account (the first two are the client package's end-to-end owners, whose
  // tests run beside this one): it funds the two new owners and makes the requests.
  const spare = chain.accounts[2];
  assert.ok(spare, "the local chain has a third funded account");
  alice = await owner(spare.mnemonic);
  [approver, carol] = await Promise.all([fresh(), fresh()]);
  // Gas money for the two new owners, in one transaction.
  const amount = [{ denom: chain.denom, amount: "20000000" }];
  await alice.chain.signAndBroadcast(
    alice.address,
    [approver, carol].map((o) => ({ typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: MsgSend.fromPartial({ fromAddress: alice.address, toAddress: o.address, amount }) })),
    "auto",
  );
  const isRoot = process.getuid?.() === 0;
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: isRoot ? ["--no-sandbox"] : [] });
  page = await browser.newPage({ viewport: { width: 1024, height: 900 } });
  page.on("pageerror", (error) => pageErrors.push(String(error)));
});

after(async () => {
  await browser?.close();
  await server?.close();
  clients.forEach((c) => c.disconnect());
});

test("a mnemonic is refused on a chain that is not local, with the reason", { skip }, async () => {
  await page.goto(`${server.url}?config=remote-chain.json`);
  await page.fill("#mnemonic", approver.mnemonic);
  await page.click("#connect-mnemonic");
  assert.match(await text("[data-testid=connect-error]"), /A mnemonic may only be used on a local chain.*cosmoshub-4/);
  await screenshot("mnemonic-refused-on-remote-chain");
});

test("empty state: nothing awaits a new approver", { skip }, async () => {
  await page.goto(server.url);
  assert.equal(await text("[data-testid=chain-id]"), chain.chainId);
  await connect(approver.mnemonic);
  assert.match(await text("[data-testid=inbox-empty]"), /Nothing awaits your approval/);
  // The websocket is live: the header says so once the first block arrived over it.
  await page.waitForFunction(() => /^live · block \d+/.test(document.getElementById("live-status")?.textContent ?? ""), null, { timeout: 30_000 });
  await accessible("empty inbox");
  await screenshot("empty-inbox");
  await page.evaluate(() => ((window as unknown as { noReload: boolean }).noReload = true));
});

let r1 = 0;
test("a request made while the page is open appears in the list", { skip, timeout: 240_000 }, async () => {
  const policy = (threshold: number) => ({ owners: { threshold } });
  workspaceId = await alice.mpc.createWorkspace({ additionalOwners: [approver.address, carol.address], signPolicy: policy(3), adminPolicy: policy(2) });
  const keyRequest = await alice.mpc.requestKey({ workspaceId, keyringId: chain.keyringId, keyType: "ecdsa_secp256k1" });
  const made = await alice.mpc.waitForKeyRequest(keyRequest, { timeoutMs: 180_000 });
  assert.equal(made.status, "fulfilled", `key request ${made.status}: ${made.reject_reason ?? ""}`);
  keyId = made.key_id!;
  r1 = await requestSignature(alice, ["pay 10 to dave", "pay 20 to erin"]);
  await page.waitForSelector(`[data-testid=inbox-requests] [data-request-id="${r1}"]`, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => (window as unknown as { noReload?: boolean }).noReload), true, "the page was not reloaded");
  assert.match(await text(`[data-request-id="${r1}"]`), new RegExp(`Workspace ${workspaceId} · key ${keyId} \\(ECDSA secp256k1\\) · 2 items · 1 approval`));
  await screenshot("request-appeared");
});

test("the second owner sees the partial request, its items and policy progress, approves it by keyboard, and it turns fulfilled with its signatures", { skip, timeout: 240_000 }, async () => {
  // Carol approves first: the approver's approval is the last one the 3-of-3 policy needs.
  await carol.mpc.approve(r1);
  await page.click(`#open-request-${r1}`);
  await page.waitForSelector(`[data-testid=request][data-request-id="${r1}"]`);
  assert.equal(await page.getAttribute("[data-testid=request-status]", "data-status"), "partial");
  // Items: two bare hashes, shown as blind signing.
  const items = await page.locator("[data-testid=items] [data-testid=item]").allTextContents();
  assert.equal(items.length, 2);
  assert.ok(items[0]!.includes("0x" + toHex(item("pay 10 to dave"))));
  assert.ok(items[1]!.includes("0x" + toHex(item("pay 20 to erin"))));
  assert.match(await text("[data-testid=blind-signing]"), /Blind signing\..*bare 32-byte hashes/);
  // Policy progress: 2 of 3 approved; alice and carol approved, the approver missing.
  assert.match(await text("[data-testid=policy-tree] .node-state"), /missing votes \(2 of 3 approved\)/);
  const votes = Object.fromEntries(
    await page.locator("[data-testid=policy-tree] [data-voter]").evaluateAll((els) => els.map((el) => [el.getAttribute("data-voter"), el.getAttribute("data-vote")])),
  );
  assert.deepEqual(votes, { [alice.address]: "approved", [carol.address]: "approved", [approver.address]: "missing" });
  assert.match(await text("[data-testid=policy-summary]"), /Still missing: 1 eligible owner/);
  assert.match(await text("[data-testid=vote-hint]"), /awaits your vote/);
  assert.notEqual(await text("[data-testid=request-fee]"), "");
  await screenshot("partial-request");
  await accessible("partial request");

  // Approve reached by keyboard alone: Tab from the top until Approve has focus, then Enter.
  await page.evaluate(() => {
    (document.activeElement as HTMLElement | null)?.blur();
    window.scrollTo(0, 0);
  });
  let tabs = 0;
  while ((await page.evaluate(() => document.activeElement?.id)) !== "req-approve") {
    await page.keyboard.press("Tab");
    assert.ok(++tabs < 60, "Approve is not reachable by Tab");
  }
  await page.keyboard.press("Enter");
  assert.match(await text("[data-testid=tx-outcome][data-ok=true]"), new RegExp(`Approved request ${r1}: included at height \\d+`));
  await page.waitForSelector("[data-testid=request-status][data-status=fulfilled]", { timeout: 180_000 });
  assert.equal(await page.evaluate(() => (window as unknown as { noReload?: boolean }).noReload), true, "the page was not reloaded");
  const shown = await page.locator("[data-testid=signatures] li").allTextContents();
  const onChain = (await alice.mpc.getRequest(r1)).signatures!.map((s) => "0x" + toHex(Buffer.from(s, "base64")));
  assert.deepEqual(shown, onChain);
  assert.match(await text("[data-testid=signatures-verified]"), /Every signature verifies against the key/);
  await screenshot("fulfilled-with-signatures");
});

test("a request is rejected from the page and shows rejected", { skip, timeout: 120_000 }, async () => {
  const r2 = await requestSignature(alice, ["do not pay mallory"]);
  await go(`#/request/${r2}`);
  await page.waitForSelector(`[data-testid=request][data-request-id="${r2}"]`);
  await page.click("#req-reject");
  assert.match(await text("[data-testid=tx-outcome][data-ok=true]"), new RegExp(`Rejected request ${r2}`));
  await page.waitForSelector("[data-testid=request-status][data-status=rejected]", { timeout: 30_000 });
  assert.match(await text("[data-testid=policy-tree] .node-state"), /cannot be met/);
  assert.equal(await page.locator("#req-approve").count(), 0, "no vote once rejected");
  await screenshot("rejected");
});

test("an approval the contract refuses shows the contract's text", { skip, timeout: 120_000 }, async () => {
  const r3 = await requestSignature(alice, ["pay 30 to frank"]);
  await go(`#/request/${r3}`);
  await page.waitForSelector(`[data-testid=request][data-request-id="${r3}"]`);
  await page.click("#req-approve");
  assert.match(await text("[data-testid=tx-outcome][data-ok=true]"), /Approved request/);
  await page.waitForFunction(() => /You approved this request/.test(document.querySelector("[data-testid=vote-hint]")?.textContent ?? ""));
  // Still partial (carol's vote is missing): the page offers the vote; the contract refuses a second one.
  await page.click("#req-approve");
  const refusal = await text("[data-testid=tx-outcome][data-ok=false]");
  assert.match(refusal, new RegExp(`^The contract refused: ${approver.address} has already voted on signature request ${r3}`));
  await screenshot("refused-with-contract-text");
});

test("an admin action is shown with what it changes, and approved", { skip, timeout: 120_000 }, async () => {
  const dave = (await DirectSecp256k1HdWallet.generate(12, { prefix: chain.prefix }).then((w) => w.getAccounts()))[0]!.address;
  const composer = new WorkspaceComposer.MpcWorkspaceMsgComposer(alice.address, chain.contracts.workspace);
  const result = await alice.chain.signAndBroadcast(alice.address, [composer.proposeAction({ workspaceId, action: { add_owner: { owner: dave } } })], "auto");
  assert.equal(result.code, 0, result.rawLog);
  const actionId = Number(
    result.events.find((e) => e.type === "wasm-admin_action")?.attributes.find((a) => a.key === "action_id")?.value,
  );
  await go("#/");
  await page.waitForSelector(`[data-testid=inbox-actions] [data-action-id="${actionId}"]`, { timeout: 30_000 });
  await page.click(`#open-action-${actionId}`);
  await page.waitForSelector(`[data-testid=action][data-action-id="${actionId}"]`);
  const change = await text("[data-testid=action-change]");
  assert.ok(change.includes(`Adds owner${dave}`), change);
  assert.match(change, /Owners now3Owners after4/);
  assert.match(await text("[data-testid=policy-tree] .node-state"), /missing votes \(1 of 2 approved\)/);
  await accessible("admin action");
  await screenshot("admin-action");
  await page.click("#act-approve");
  await page.waitForSelector("[data-testid=action-status][data-status=executed]", { timeout: 30_000 });
  await screenshot("admin-action-executed");
});

test("payload requests: an EVM transaction and EIP-712 typed data decoded by value, digests matching; the workspace's history", { skip, timeout: 120_000 }, async () => {
  // Two payload requests on chain: the contract hashed each payload and stores it beside the digest.
  const tx = hexToBytes(serializeTransaction(EVM_TX));
  const evmRequest = await alice.mpc.requestPayloadSignature({ keyId, payloads: [{ hash: "keccak256", data: tx }], approvalTimeoutBlocks: 1000 });
  const json = toUtf8(JSON.stringify(TYPED));
  const typedRequest = await alice.mpc.requestPayloadSignature({ keyId, payloads: [{ hash: "eip712", data: json }], approvalTimeoutBlocks: 1000 });

  const shownItem = async (id: number): Promise<string> => {
    await go(`#/request/${id}`);
    await page.waitForSelector(`[data-testid=request][data-request-id="${id}"] [data-testid=digest-check]`);
    assert.equal(await page.getAttribute("[data-testid=digest-check]", "data-matches"), "true");
    assert.equal(await page.locator("[data-testid=blind-signing]").count(), 0, "a payload the page reads is no blind signing");
    return text("[data-testid=items] [data-testid=item]");
  };
  const evm = await shownItem(evmRequest);
  const evmDigest = keccak256(tx).slice(2);
  for (const expected of ["EVM transaction (EIP-1559)", `to${EVM_TX.to}`, "value0.25 ETH (250000000000000000 wei)", `data${EVM_TX.data}`, "chain id11155111", evmDigest, "matches the digest on chain"]) {
    assert.ok(evm.includes(expected), `${expected} in ${evm}`);
  }
  await screenshot("evm-transaction-request");
  const typed = await shownItem(typedRequest);
  const typedDigest = hashTypedData(TYPED as unknown as Parameters<typeof hashTypedData>[0]).slice(2);
  for (const expected of ["EIP-712 typed data", "primary typeMail", "domain.nameEther Mail", "contentsHello, Bob!", "to.wallet0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB", typedDigest, "matches the digest on chain"]) {
    assert.ok(typed.includes(expected), `${expected} in ${typed}`);
  }
  await accessible("payload request");
  await screenshot("eip712-request");

  await go(`#/workspace/${workspaceId}`);
  await page.waitForSelector("[data-testid=history]");
  assert.equal(await page.locator("[data-testid=owners] li").count(), 4);
  const rows = await page.locator("[data-testid=history] tbody tr").evaluateAll((trs) => trs.map((tr) => [tr.getAttribute("data-request-id"), tr.querySelector(".badge")?.textContent]));
  assert.deepEqual(rows.map(([, status]) => status), ["fulfilled", "rejected", "partial", "partial", "partial"]);
  await accessible("workspace");
  await screenshot("workspace");
});

test("at 375 px: no horizontal scroll, every control reachable by Tab", { skip }, async () => {
  await page.setViewportSize({ width: 375, height: 740 });
  for (const [name, hash, ready] of [
    ["inbox", "#/", "#inbox-h"],
    ["fulfilled-request", `#/request/${r1}`, "[data-testid=signatures]"],
    ["workspace", `#/workspace/${workspaceId}`, "[data-testid=history]"],
  ] as const) {
    await go(hash);
    await page.waitForSelector(ready);
    await noHorizontalScroll();
    const controls = await everyControlTabbable();
    assert.ok(controls >= 3, `${hash}: ${controls} controls`);
    await screenshot(`375px-${name}`);
  }
});

test("no uncaught error in the page", { skip }, () => {
  assert.deepEqual(pageErrors, []);
});
