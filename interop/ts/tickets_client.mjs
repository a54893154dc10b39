// Drives the `tickets` example with the official TypeScript SDK client, over stdio or HTTP.
// Usage: node ts/tickets_client.mjs stdio <server binary> [args...]
//        node ts/tickets_client.mjs http <url of the /mcp endpoint>
// Exits non-zero (with the reason on stderr) when anything is not as expected.
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [mode, target, ...args] = process.argv.slice(2);
if (!["stdio", "http"].includes(mode) || !target) {
  throw new Error("usage: tickets_client.mjs stdio <binary> [args...] | http <url>");
}
const transport =
  mode === "stdio"
    ? new StdioClientTransport({ command: target, args, stderr: "inherit" })
    : new StreamableHTTPClientTransport(new URL(target));
const client = new Client({ name: "ts-tickets-interop", version: "1.0.0" });
await client.connect(transport);
assert.equal(client.getServerVersion().name, "tickets");
assert.ok(client.getInstructions().startsWith("An issue tracker."));

// Every tool: its hints, a title, object schemas in and out.
const { tools } = await client.listTools();
const expected = {
  // name: [readOnly, destructive, idempotent, required inputs]
  search_tickets: [true, false, true, []],
  show_board: [true, false, true, []],
  get_ticket: [true, false, true, ["id"]],
  create_ticket: [false, false, false, ["title"]],
  update_ticket: [false, true, true, ["id"]],
  add_comment: [false, false, false, ["body", "id"]],
  delete_ticket: [false, true, true, ["id"]],
  escalate_ticket: [false, false, false, ["id", "to"]],
};
assert.deepEqual(tools.map((t) => t.name).sort(), Object.keys(expected).sort());
for (const tool of tools) {
  const [readOnly, destructive, idempotent, required] = expected[tool.name];
  const a = tool.annotations;
  assert.equal(a.readOnlyHint, readOnly, `${tool.name} readOnlyHint`);
  assert.equal(a.destructiveHint, destructive, `${tool.name} destructiveHint`);
  assert.equal(a.idempotentHint, idempotent, `${tool.name} idempotentHint`);
  assert.equal(a.openWorldHint, false, `${tool.name} openWorldHint`);
  assert.ok(tool.title, `${tool.name} title`);
  assert.equal(tool.inputSchema.type, "object");
  assert.deepEqual([...(tool.inputSchema.required ?? [])].sort(), required, `${tool.name} required`);
  if (tool.name === "delete_ticket") {
    // It answers a preview or the deletion, so it declares no outputSchema.
    assert.equal(tool.outputSchema, undefined, "delete_ticket outputSchema");
  } else {
    assert.equal(tool.outputSchema?.type, "object", `${tool.name} outputSchema`);
  }
}
const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
// The board is an MCP Apps page: the link survives the official client, and the page reads.
assert.equal(byName.show_board._meta?.ui?.resourceUri, "ui://tickets/board");
assert.equal(byName.show_board._meta?.["openai/outputTemplate"], "ui://tickets/board.skybridge");
const page = await client.readResource({ uri: "ui://tickets/board" });
assert.equal(page.contents[0].mimeType, "text/html;profile=mcp-app");
assert.ok(page.contents[0].text.startsWith("<!doctype html>"));
assert.ok(byName.create_ticket.inputSchema.properties.idempotency_key, "create_ticket takes an idempotency key");
assert.deepEqual(byName.update_ticket.inputSchema.properties.status.enum.filter(Boolean), [
  "open", "in_progress", "resolved", "closed",
]);

// Create, twice with the same key: one ticket. (The SDK checks structuredContent against outputSchema.)
const key = `ts-${mode}-${process.pid}`;
const createArgs = { title: `From TS over ${mode}`, body: "typed hello", priority: "high", idempotency_key: key };
const created = await client.callTool({ name: "create_ticket", arguments: createArgs });
assert.ok(!created.isError, JSON.stringify(created));
const id = created.structuredContent.id;
assert.equal(created.structuredContent.status, "open");
assert.deepEqual(JSON.parse(created.content[0].text), created.structuredContent);
const retried = await client.callTool({ name: "create_ticket", arguments: createArgs });
assert.equal(retried.structuredContent.id, id, "the same idempotency key creates one ticket");

// Update, then a forbidden transition that changes nothing.
const updated = await client.callTool({
  name: "update_ticket",
  arguments: { id, status: "in_progress", assignee: "ts" },
});
assert.ok(!updated.isError, JSON.stringify(updated));
assert.equal(updated.structuredContent.status, "in_progress");
const refused = await client.callTool({ name: "update_ticket", arguments: { id, status: "closed", title: "nope" } });
assert.equal(refused.isError, true);
assert.match(refused.content[0].text, /cannot move to closed/);
const unknown = await client.callTool({ name: "update_ticket", arguments: { id: 999999, status: "closed" } });
assert.equal(unknown.isError, true);
assert.match(unknown.content[0].text, /does not exist/);

// Read it back as a resource.
const { resourceTemplates } = await client.listResourceTemplates();
assert.equal(resourceTemplates[0].uriTemplate, "tickets://{id}");
const read = await client.readResource({ uri: `tickets://${id}` });
assert.equal(read.contents[0].mimeType, "application/json");
const ticket = JSON.parse(read.contents[0].text);
assert.equal(ticket.status, "in_progress");
assert.equal(ticket.assignee, "ts");
assert.equal(ticket.title, createArgs.title, "the refused update changed nothing");

// Found by search, then the triage prompt.
const found = await client.callTool({ name: "search_tickets", arguments: { query: `over ${mode}`, assignee: "ts" } });
assert.ok(found.structuredContent.tickets.some((t) => t.id === id));
const prompt = await client.getPrompt({ name: "triage", arguments: { id: String(id) } });
assert.equal(prompt.messages[0].content.resource.uri, `tickets://${id}`);

// Delete: this client declares no elicitation, so the first call previews and hands out a
// confirmation token; the call with the token deletes. Gone as a ticket and as a resource.
const preview = await client.callTool({ name: "delete_ticket", arguments: { id } });
assert.ok(!preview.isError, JSON.stringify(preview));
const token = preview.structuredContent.confirmation_token;
assert.ok(preview.content[0].text.includes(token));
const deleted = await client.callTool({ name: "delete_ticket", arguments: { id, confirmation_token: token } });
assert.ok(!deleted.isError, JSON.stringify(deleted));
assert.equal(deleted.structuredContent.id, id);
await assert.rejects(client.readResource({ uri: `tickets://${id}` }), /-32002|not found/i);
const again = await client.callTool({ name: "get_ticket", arguments: { id } });
assert.equal(again.isError, true);

await client.close();
console.log(`typescript tickets interop over ${mode}: ok`);
