// The sandbox proxy of a web host (MCP Apps spec, "Sandbox proxy"): on its own origin, it
// loads the View's HTML into an inner iframe under the CSP built from the resource's
// `_meta.ui.csp` (the spec's construction, restrictive defaults), and relays every message
// except `ui/notifications/sandbox-*` between the host and the View.
"use strict";
(function () {
  var inner = null;
  function list(values) {
    return (values || []).join(" ");
  }
  function policy(csp) {
    csp = csp || {};
    var resources = list(csp.resourceDomains);
    return [
      "default-src 'none'",
      "script-src 'self' 'unsafe-inline' " + resources,
      "style-src 'self' 'unsafe-inline' " + resources,
      "connect-src 'self' " + list(csp.connectDomains),
      "img-src 'self' data: " + resources,
      "font-src 'self' " + resources,
      "media-src 'self' data: " + resources,
      "frame-src " + (list(csp.frameDomains) || "'none'"),
      "object-src 'none'",
      "base-uri " + (list(csp.baseUriDomains) || "'self'"),
    ].join("; ");
  }
  function withPolicy(html, csp) {
    var meta = '<meta http-equiv="Content-Security-Policy" content="' + policy(csp).replace(/"/g, "&quot;") + '">';
    var head = /<head[^>]*>/i.exec(html);
    if (head) return html.slice(0, head.index + head[0].length) + meta + html.slice(head.index + head[0].length);
    return meta + html;
  }
  window.addEventListener("message", function (event) {
    var msg = event.data;
    if (!msg || msg.jsonrpc !== "2.0") return;
    if (event.source === window.parent) {
      if (msg.method === "ui/notifications/sandbox-resource-ready") {
        inner = document.createElement("iframe");
        inner.setAttribute("sandbox", msg.params.sandbox || "allow-scripts");
        inner.title = "View";
        inner.srcdoc = withPolicy(msg.params.html, msg.params.csp);
        document.body.appendChild(inner);
        return;
      }
      if (inner && inner.contentWindow) inner.contentWindow.postMessage(msg, "*");
    } else if (inner && event.source === inner.contentWindow) {
      if (typeof msg.method === "string" && msg.method.indexOf("ui/notifications/sandbox-") === 0) return;
      window.parent.postMessage(msg, "*");
    }
  });
  window.parent.postMessage({ jsonrpc: "2.0", method: "ui/notifications/sandbox-proxy-ready", params: {} }, "*");
})();
