// Drives the `notes` example over stdio with the official TypeScript SDK client.
// Usage: node ts/stdio_notes.mjs <server binary> [args...]
// Exits non-zero (with the reason on stderr) when anything is not as expected.
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [command, ...args] = process.argv.slice(2);
if (!command) throw new Error("usage: stdio_notes.mjs <server binary> [args...]");

const client = new Client({ name: "ts-interop", version: "1.0.0" });
const transport = new StdioClientTransport({ command, args, stderr: "inherit" });
await client.connect(transport);

assert.equal(client.getServerVersion().name, "notes");
assert.ok(client.getServerCapabilities().tools, "tools capability");

const { tools } = await client.listTools();
const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
for (const name of ["search_notes", "add_note", "delete_note"]) assert.ok(byName[name], `tool ${name} listed`);
assert.equal(byName.search_notes.annotations.readOnlyHint, true);
assert.equal(byName.delete_note.annotations.readOnlyHint, false);
assert.equal(byName.delete_note.annotations.destructiveHint, true);

const added = await client.callTool({ name: "add_note", arguments: { title: "From TS", body: "typed hello" } });
assert.ok(!added.isError, JSON.stringify(added));
const id = Number(added.content[0].text.match(/\d+/)[0]);

const found = await client.callTool({ name: "search_notes", arguments: { query: "typed" } });
assert.match(found.content[0].text, /From TS/);

const bad = await client.callTool({ name: "delete_note", arguments: { id: "seven" } });
assert.equal(bad.isError, true, "bad arguments are a tool error");

const { resourceTemplates } = await client.listResourceTemplates();
assert.equal(resourceTemplates[0].uriTemplate, "notes://{id}");
const read = await client.readResource({ uri: `notes://${id}` });
assert.match(read.contents[0].text, /# From TS/);

const prompt = await client.getPrompt({ name: "summarize", arguments: { id: String(id) } });
assert.match(prompt.messages[0].content.text, new RegExp(`notes://${id}`));

const deleted = await client.callTool({ name: "delete_note", arguments: { id } });
assert.ok(!deleted.isError);
await assert.rejects(client.readResource({ uri: `notes://${id}` }), /-32002|not found/i);

await client.ping();
await client.close();
console.log("typescript stdio interop: ok");
