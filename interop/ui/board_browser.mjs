// The `tickets` board in a real browser, through the official MCP Apps host bridge.
//
//   node ui/board_browser.mjs <mcp-url> <screenshot-dir> [chromium]
//
// 1. An MCP client (the official TypeScript SDK) that declares MCP Apps support reads the
//    `show_board` tool, the `ui://` page it links and a real `show_board` result from the
//    running server.
// 2. A test host page (ui/host.js, bundled with esbuild) hands them to AppBridge from
//    @modelcontextprotocol/ext-apps, which loads the page into a sandbox proxy on another
//    origin (ui/sandbox.js) under the CSP the page declares, and forwards the page's
//    tools/call to the server.
// 3. Headless Chromium (the system's, driven by playwright-core) checks the board shows the
//    tickets, clicks a button, and waits for the board to show the move; at 400 px, in light
//    and in dark, with a screenshot of each. Any console error or uncaught exception fails.
//
// The last line printed is a JSON summary (the moves made, the screenshots) for the Rust test,
// which checks the moves in the database.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";
import { chromium } from "playwright-core";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const here = dirname(fileURLToPath(import.meta.url));
const [url, outDir, executablePath = "/usr/bin/chromium"] = process.argv.slice(2);
if (!url || !outDir) throw new Error("usage: board_browser.mjs <mcp-url> <screenshot-dir> [chromium]");
mkdirSync(outDir, { recursive: true });

// ---- The MCP side: what a host fetches before it shows the page.
const client = new Client(
  { name: "ui-test-host", version: "1.0.0" },
  { capabilities: { extensions: { "io.modelcontextprotocol/ui": { mimeTypes: ["text/html;profile=mcp-app"] } } } },
);
await client.connect(new StreamableHTTPClientTransport(new URL(url)));
const extensions = client.getServerCapabilities()?.extensions ?? {};
assert.ok("io.modelcontextprotocol/ui" in extensions, "the server advertises MCP Apps");
const { tools } = await client.listTools();
const tool = tools.find((t) => t.name === "show_board");
assert.ok(tool, "show_board is listed");
const pageUri = tool._meta?.ui?.resourceUri;
assert.equal(pageUri, "ui://tickets/board");
const read = await client.readResource({ uri: pageUri });
const page = read.contents[0];
assert.equal(page.mimeType, "text/html;profile=mcp-app");
const csp = page._meta?.ui?.csp;

// ---- Two origins: the host page, and the sandbox proxy (the spec wants them apart).
const bundle = await build({
  entryPoints: [join(here, "host.js")],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "chrome120",
  write: false,
  logLevel: "silent",
});
const hostJs = bundle.outputFiles[0].text;
const files = {
  "/": ["text/html", readFileSync(join(here, "host.html"))],
  "/host.js": ["text/javascript", hostJs],
  "/sandbox.html": ["text/html", readFileSync(join(here, "sandbox.html"))],
  "/sandbox.js": ["text/javascript", readFileSync(join(here, "sandbox.js"))],
};
function serve(names) {
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    const file = names.includes(path) ? files[path] : undefined;
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": `${file[0]}; charset=utf-8`, "cache-control": "no-store" });
    res.end(file[1]);
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}
const hostServer = await serve(["/", "/host.js"]);
const sandboxServer = await serve(["/sandbox.html", "/sandbox.js"]);
const hostUrl = `http://127.0.0.1:${hostServer.address().port}/`;
const sandboxUrl = `http://localhost:${sandboxServer.address().port}/sandbox.html`;

// ---- The browser.
const browser = await chromium.launch({ executablePath, headless: true });
const moves = [];
const screenshots = [];
const problems = [];
try {
  // Light: start ticket 1 (open -> in_progress). Dark: resolve ticket 2 (in_progress -> resolved).
  for (const [theme, id, button, to] of [
    ["light", 1, "Start ticket 1", "in_progress"],
    ["dark", 2, "Resolve ticket 2", "resolved"],
  ]) {
    const arguments_ = {};
    const result = await client.callTool({ name: "show_board", arguments: arguments_ });
    assert.ok(!result.isError, JSON.stringify(result));
    const context = await browser.newContext({ viewport: { width: 400, height: 800 }, colorScheme: theme });
    const tab = await context.newPage();
    tab.on("console", (m) => {
      if (m.type() === "error") problems.push(`${theme}: console error: ${m.text()} (${m.location().url})`);
    });
    tab.on("pageerror", (e) => problems.push(`${theme}: uncaught: ${e.message}`));
    const calls = [];
    await tab.exposeFunction("hostSetup", () => ({
      theme,
      tool,
      html: page.text,
      csp,
      arguments: arguments_,
      result,
      sandboxUrl,
    }));
    await tab.exposeFunction("mcpCallTool", async (params) => {
      calls.push(params);
      return client.callTool(params);
    });
    await tab.goto(hostUrl);
    const view = tab.frameLocator("#app").frameLocator("iframe");
    const card = (status, ticket) => view.locator(`section[data-status="${status}"] [data-ticket-id="${ticket}"]`);
    const from = id === 1 ? "open" : "in_progress";
    await card(from, id).waitFor({ timeout: 20_000 });
    // Every open ticket the server returned is on the board, in its column.
    for (const column of result.structuredContent.columns) {
      for (const ticket of column.tickets) {
        await card(column.status, ticket.id).waitFor({ timeout: 5_000 });
        assert.equal(await card(column.status, ticket.id).locator(".title").textContent(), ticket.title);
      }
    }
    const theme_ = await view.locator("html").getAttribute("data-theme");
    assert.equal(theme_, theme, "the page took the host's theme");
    // Wide enough for 400 px: nothing scrolls sideways.
    const overflow = await view.locator("html").evaluate((html) => html.scrollWidth - html.clientWidth);
    assert.ok(overflow <= 0, `the board is ${overflow}px wider than 400px`);

    await view.getByRole("button", { name: button }).click();
    await card(to, id).waitFor({ timeout: 20_000 });
    await view.getByText(`#${id} is now`).waitFor({ timeout: 5_000 });
    assert.deepEqual(calls[0], { name: "update_ticket", arguments: { id, status: to } });
    assert.equal(calls[1]?.name, "show_board", "the page refreshed the board through the host");
    moves.push({ id, status: to });

    const shot = resolve(outDir, `board-400-${theme}.png`);
    await tab.screenshot({ path: shot, fullPage: true });
    screenshots.push(shot);
    await context.close();
  }
} finally {
  await browser.close();
  hostServer.close();
  sandboxServer.close();
  await client.close();
}
assert.deepEqual(problems, [], "the page and the host logged no errors");
console.log(JSON.stringify({ moves, screenshots }));
