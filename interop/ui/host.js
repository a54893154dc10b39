// The test host's side of MCP Apps, bundled for the browser by board_browser.mjs with esbuild.
// It uses the official host bridge (AppBridge from @modelcontextprotocol/ext-apps) the way a
// web host does: the View runs inside a sandbox proxy on another origin, and the host forwards
// the View's tools/call to the MCP server (here through window.mcpCallTool, which the driver
// exposes: a real call on the running `tickets` server).
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";

const setup = await window.hostSetup();
const frame = document.createElement("iframe");
frame.id = "app";
frame.title = "Ticket board";
frame.setAttribute("sandbox", "allow-scripts allow-same-origin");
document.body.appendChild(frame);

const bridge = new AppBridge(
  null,
  { name: "mcp-rust-sdk-test-host", version: "1.0.0" },
  { serverTools: {}, logging: {}, openLinks: {} },
  {
    hostContext: {
      theme: setup.theme,
      displayMode: "inline",
      availableDisplayModes: ["inline"],
      platform: "web",
      containerDimensions: { width: window.innerWidth, maxHeight: 4000 },
      toolInfo: { tool: setup.tool },
    },
  },
);
bridge.oncalltool = async (params) => window.mcpCallTool(params);
bridge.onsizechange = ({ height }) => {
  if (height != null) frame.style.height = `${height}px`;
};
bridge.onloggingmessage = (params) => console.log("view log:", JSON.stringify(params));
bridge.onsandboxready = () => {
  bridge.sendSandboxResourceReady({ html: setup.html, csp: setup.csp });
};
bridge.oninitialized = async () => {
  await bridge.sendToolInput({ arguments: setup.arguments });
  await bridge.sendToolResult(setup.result);
  window.__viewInitialized = true;
};
await bridge.connect(new PostMessageTransport(frame.contentWindow, frame.contentWindow));
frame.src = setup.sandboxUrl;
