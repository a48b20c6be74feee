// The dashboard in a real browser (Debian's chromium, headless, driven by playwright-core):
// a mosquitto broker on a free loopback port, `tinyml gateway` (read-only pages open, control
// behind the token) and `tinyml device` replaying the home example's mote 4. The page must
// show live readings arriving, refuse switching before login, log in, switch the device's
// alarm and show the state the device reports back. A screenshot is kept as an artefact.
//
//   node dashboard.test.mjs TINYML_BIN SOURCE_DIR WORK_DIR
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { chromium } from "playwright-core";

const [bin, src, work] = process.argv.slice(2);
if (!work) {
  console.error("usage: node dashboard.test.mjs TINYML_BIN SOURCE_DIR WORK_DIR");
  process.exit(2);
}
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });

const children = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function which(names) {
  for (const n of names) {
    if (n.includes("/")) { if (fs.existsSync(n)) return n; continue; }
    for (const dir of (process.env.PATH || "").split(":")) {
      const p = path.join(dir, n);
      if (fs.existsSync(p)) return p;
    }
  }
  return null;
}

function start(name, argv) {
  const log = fs.openSync(path.join(work, `${name}.log`), "a");
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", log, log] });
  children.push(child);
  return child;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function waitFor(what, pred, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try { if (await pred()) return; } catch { /* not yet */ }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => { s.end(); resolve(true); });
    s.on("error", () => resolve(false));
  });
}

async function main() {
  const mosquitto = which(["mosquitto", "/usr/sbin/mosquitto"]);
  if (!mosquitto) throw new Error("mosquitto is not installed (Debian: apt-get install mosquitto)");
  const browserPath = which(["chromium", "/usr/bin/chromium"]);
  if (!browserPath) throw new Error("chromium is not installed (Debian: apt-get install chromium)");

  const port = await freePort();
  fs.writeFileSync(path.join(work, "mosquitto.conf"),
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n` +
    (process.getuid && process.getuid() === 0 ? "user root\n" : ""));
  start("mosquitto", [mosquitto, "-c", path.join(work, "mosquitto.conf")]);
  await waitFor("mosquitto", () => portOpen(port), 10000);

  execFileSync(bin, ["export", path.join(src, "tests/data/home/model.tmq"), "--out", path.join(work, "model"), "--name", "home"]);
  const token = "browser-test-token-42";
  fs.writeFileSync(path.join(work, "token.txt"), token + "\n");
  const ready = path.join(work, "ready.json");
  start("gateway", [bin, "gateway", "--broker", `127.0.0.1:${port}`, "--db", path.join(work, "gw.db"),
    "--http", "127.0.0.1:0", "--ready-file", ready, "--token-file", path.join(work, "token.txt"), "--open-read"]);
  await waitFor("the gateway", () => fs.existsSync(ready), 30000);
  const url = `http://127.0.0.1:${JSON.parse(fs.readFileSync(ready, "utf8")).http_port}/`;
  start("device", [bin, "device", path.join(src, "examples/home/tinyml.toml"), "--model", path.join(work, "model"),
    "--work-dir", path.join(work, "device"), "--broker", `127.0.0.1:${port}`, "--id", "home-4", "--rate", "20"]);
  await waitFor("the device in the fleet", async () => {
    const r = await fetch(url + "api/devices");
    return (await r.json()).some((d) => d.id === "home-4");
  }, 60000);

  const browser = await chromium.launch({ executablePath: browserPath, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("pageerror", (e) => console.log("page error:", e.message));
    await page.goto(url);
    const card = page.locator('.card[data-device="home-4"]');
    const count = card.locator(".reading-count");
    await count.waitFor({ timeout: 20000 });
    // Live readings arrive over server-sent events.
    await waitFor("live readings", async () => Number(await count.textContent()) >= 5, 20000);
    console.log(`live readings: ${await count.textContent()}`);
    const toggle = card.locator('input[data-actuator="alarm"]');
    if (!(await toggle.isDisabled())) throw new Error("the switch works without logging in");
    const refused = await fetch(url + "api/devices/home-4/actuators/alarm", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: '{"state":"on"}' });
    if (refused.status !== 401) throw new Error(`switching without the token gave ${refused.status}`);

    await page.fill("#token", "not-the-token");
    await page.click("#login");
    await page.locator("#message", { hasText: "Wrong token" }).waitFor({ timeout: 5000 });
    await page.fill("#token", token);
    await page.click("#login");
    await page.locator("#logout").waitFor({ state: "visible", timeout: 5000 });
    await waitFor("the switch enabled", async () => !(await toggle.isDisabled()), 5000);
    await toggle.click();
    // The device switches and reports it; the page shows what the device reported.
    await waitFor("the device's report", async () => (await card.locator(".actuator-state").textContent()) === "on", 20000);
    if (!(await toggle.isChecked())) throw new Error("the switch does not show the reported state");
    const actions = await (await fetch(url + "api/devices/home-4/actions?limit=1")).json();
    if (actions[0].source !== "command" || actions[0].state !== "on") throw new Error("no command action stored");
    await sleep(1500);  // a few more live points in the chart
    await page.screenshot({ path: path.join(work, "dashboard.png"), fullPage: true });
    console.log(`screenshot: ${path.join(work, "dashboard.png")}`);
  } finally {
    await browser.close();
  }
}

let failed = 0;
try {
  await main();
  console.log("dashboard: live readings, login, actuator switched and reported");
} catch (e) {
  failed = 1;
  console.log(`FAIL: ${e.message}`);
  for (const f of ["gateway.log", "device.log"]) {
    const p = path.join(work, f);
    if (fs.existsSync(p)) console.log(`--- ${f}\n` + fs.readFileSync(p, "utf8").slice(-3000));
  }
} finally {
  for (const c of children.reverse()) c.kill("SIGTERM");
  await sleep(500);
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
}
console.log(`${1 - failed} passed, ${failed} failed`);
process.exit(failed);
