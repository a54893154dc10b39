// Drives the `notes` example with the official TypeScript SDK client.
//
//   node ts/notes.mjs stdio <server binary>      the client starts the server as a child process
//   node ts/notes.mjs http  <base url>           streamable HTTP at <base url>/mcp
//   node ts/notes.mjs sse   <base url>           legacy HTTP+SSE (2024-11-05) at <base url>/sse
//
// Lists tools and checks their hints, calls a read and a write tool, receives progress, reads
// a resource, gets a prompt. Exits non-zero, with the reason on stderr, when anything is off.
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";

const [kind, target] = process.argv.slice(2);
const transport = {
  stdio: () => new StdioClientTransport({ command: target, args: [], stderr: "inherit" }),
  http: () => new StreamableHTTPClientTransport(new URL(`${target}/mcp`)),
  sse: () => new SSEClientTransport(new URL(`${target}/sse`)),
}[kind];
if (!transport || !target) throw new Error("usage: notes.mjs <stdio|http|sse> <binary or base url>");

const client = new Client({ name: "ts-interop", version: "1.0.0" });
await client.connect(transport());
assert.equal(client.getServerVersion().name, "notes");

const { tools } = await client.listTools();
const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
assert.deepEqual(Object.keys(byName).sort(), ["add_note", "delete_note", "export_notes", "search_notes"]);
assert.deepEqual(byName.search_notes.annotations, {
  title: "Search notes", readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false,
});
assert.equal(byName.delete_note.annotations.readOnlyHint, false);
assert.equal(byName.delete_note.annotations.destructiveHint, true);
assert.equal(byName.add_note.outputSchema.type, "object");

// A write tool with a typed result: the client validates structuredContent against outputSchema.
const added = await client.callTool({ name: "add_note", arguments: { title: `From TS over ${kind}`, body: "typed hello" } });
assert.ok(!added.isError, JSON.stringify(added));
const id = added.structuredContent.id;
assert.ok(Number.isInteger(id));

// A read tool.
const found = await client.callTool({ name: "search_notes", arguments: { query: "typed" } });
assert.ok(found.structuredContent.notes.some((n) => n.id === id), JSON.stringify(found));

// Progress notifications for a request that asked for them.
const progress = [];
const exported = await client.callTool({ name: "export_notes", arguments: {} }, undefined, {
  onprogress: (p) => progress.push(p.progress),
});
assert.match(exported.content[0].text, /typed hello/);
assert.ok(progress.length >= 3, `progress: ${JSON.stringify(progress)}`);
assert.deepEqual(progress, [...progress].sort((a, b) => a - b));

// Bad arguments are a tool error the model can read, not a protocol error.
const bad = await client.callTool({ name: "delete_note", arguments: { id: "seven" } });
assert.equal(bad.isError, true);
assert.match(bad.content[0].text, /`id`/);

const { resourceTemplates } = await client.listResourceTemplates();
assert.equal(resourceTemplates[0].uriTemplate, "notes://{id}");
const read = await client.readResource({ uri: `notes://${id}` });
assert.match(read.contents[0].text, new RegExp(`# From TS over ${kind}`));

const prompt = await client.getPrompt({ name: "summarize", arguments: { id: String(id) } });
assert.match(prompt.messages[0].content.text, new RegExp(`notes://${id}`));

const deleted = await client.callTool({ name: "delete_note", arguments: { id } });
assert.ok(!deleted.isError);
await assert.rejects(client.readResource({ uri: `notes://${id}` }), /-32002|not found/i);

await client.ping();
await client.close();
console.log(`typescript ${kind} interop: ok`);
