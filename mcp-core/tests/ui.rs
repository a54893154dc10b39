//! MCP Apps (`io.modelcontextprotocol/ui`) on the wire: what `tools/list`, `resources/list`,
//! `resources/read`, `tools/call` and the capabilities say, exactly, in both protocol eras, and
//! what `build()` refuses.

use mcp_connector_core::protocol::CallToolResult;
use mcp_connector_core::testing::TestClient;
use mcp_connector_core::ui::{Permission, UiMeta, Visibility};
use mcp_connector_core::{BuildError, Resource, Server, ServerBuilder, Tool, WithUi};
use serde_json::{Value, json};

const ERAS: [&str; 2] = ["2025-11-25", "2026-07-28"];
const BOARD_HTML: &str = "<!doctype html><title>Board</title><main id=board></main>";

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Board {
    open: u32,
}

fn board_page() -> mcp_connector_core::ResourceBuilder {
    Resource::new("ui://tickets/board", "board").title("Ticket board").ui(UiMeta::new()
        .connect_domain("https://api.tickets.example")
        .resource_domain("https://*.cdn.example")
        .frame_domain("https://video.example")
        .permission(Permission::ClipboardWrite)
        .domain("tickets.example.com")
        .prefers_border(true)
        .description("Open tickets by status")
        .skybridge_copy(true))
}

fn builder() -> ServerBuilder {
    Server::builder("ui", "1.0.0")
        .resource(board_page().html(BOARD_HTML))
        .resource(
            Resource::new("ui://tickets/plain", "plain").ui(UiMeta::new()).html("<!doctype html><p>plain"),
        )
        .tool(
            Tool::read("show_board")
                .description("Show the board.")
                .ui("ui://tickets/board")
                .invoking("Loading the board…")
                .invoked("Board ready")
                .handler(|_ctx, _args| async {
                    WithUi::new(Board { open: 2 })
                        .text("2 open tickets")
                        .ui_meta(json!({"columns": ["open", "closed"]}))
                        .into_result()
                }),
        )
        .tool(
            Tool::write("move_card")
                .visibility(Visibility::App)
                .handler(|_ctx, _args| async { Ok(CallToolResult::text("moved")) }),
        )
        .tool(
            Tool::read("summary")
                .ui("ui://tickets/plain")
                .visibility(Visibility::Model)
                .handler(|_ctx, _args| async { Ok(CallToolResult::text("summary")) }),
        )
        .tool(Tool::read("plain_tool").handler(|_ctx, _args| async { Ok(CallToolResult::text("plain")) }))
}

async fn client(version: &str, capabilities: Value) -> TestClient {
    let server = builder().build().expect("the fixture builds");
    TestClient::builder(server).protocol_version(version).capabilities(capabilities).connect().await
}

fn ui_client_capabilities() -> Value {
    json!({"extensions": {"io.modelcontextprotocol/ui": {"mimeTypes": ["text/html;profile=mcp-app"]}}})
}

#[tokio::test]
async fn tools_list_carries_the_ui_link_and_chatgpt_aliases_in_both_eras() {
    for version in ERAS {
        let client = client(version, ui_client_capabilities()).await;
        let tools = client.list_tools().await.unwrap();
        let meta: Vec<Value> = tools.iter().map(|t| t.get("_meta").cloned().unwrap_or(Value::Null)).collect();
        assert_eq!(
            meta,
            vec![
                json!({
                    "ui": {"resourceUri": "ui://tickets/board"},
                    "ui/resourceUri": "ui://tickets/board",
                    "openai/outputTemplate": "ui://tickets/board.skybridge",
                    "openai/widgetAccessible": true,
                    "openai/toolInvocation/invoking": "Loading the board…",
                    "openai/toolInvocation/invoked": "Board ready"
                }),
                json!({
                    "ui": {"visibility": ["app"]},
                    "openai/visibility": "private",
                    "openai/widgetAccessible": true
                }),
                json!({
                    "ui": {"resourceUri": "ui://tickets/plain", "visibility": ["model"]},
                    "ui/resourceUri": "ui://tickets/plain",
                    "openai/outputTemplate": "ui://tickets/plain",
                    "openai/widgetAccessible": false
                }),
                Value::Null,
            ],
            "{version}"
        );
        // The rest of the definition is untouched: a WithUi return gives no outputSchema by
        // hand (only `#[tool]` derives one), hints stay.
        assert_eq!(tools[0]["name"], "show_board");
        assert_eq!(tools[0]["annotations"]["readOnlyHint"], true, "{version}");
    }
}

fn board_meta() -> Value {
    json!({
        "ui": {
            "csp": {
                "connectDomains": ["https://api.tickets.example"],
                "resourceDomains": ["https://*.cdn.example"],
                "frameDomains": ["https://video.example"]
            },
            "permissions": {"clipboardWrite": {}},
            "domain": "tickets.example.com",
            "prefersBorder": true
        },
        "openai/widgetCSP": {
            "connect_domains": ["https://api.tickets.example"],
            "resource_domains": ["https://*.cdn.example"],
            "frame_domains": ["https://video.example"]
        },
        "openai/widgetPrefersBorder": true,
        "openai/widgetDomain": "tickets.example.com",
        "openai/widgetDescription": "Open tickets by status"
    })
}

fn skybridge_meta() -> Value {
    let mut meta = board_meta();
    if let Some(map) = meta.as_object_mut() {
        map.remove("ui");
    }
    meta
}

#[tokio::test]
async fn resources_read_serves_the_page_with_its_declaration_in_both_eras() {
    for version in ERAS {
        let client = client(version, json!({})).await;
        let read = client.request("resources/read", json!({"uri": "ui://tickets/board"})).await.unwrap();
        assert_eq!(
            read["contents"],
            json!([{
                "uri": "ui://tickets/board",
                "mimeType": "text/html;profile=mcp-app",
                "text": BOARD_HTML,
                "_meta": board_meta()
            }]),
            "{version}"
        );
        let copy =
            client.request("resources/read", json!({"uri": "ui://tickets/board.skybridge"})).await.unwrap();
        assert_eq!(
            copy["contents"],
            json!([{
                "uri": "ui://tickets/board.skybridge",
                "mimeType": "text/html+skybridge",
                "text": BOARD_HTML,
                "_meta": skybridge_meta()
            }]),
            "{version}"
        );
        let plain = client.request("resources/read", json!({"uri": "ui://tickets/plain"})).await.unwrap();
        assert_eq!(
            plain["contents"],
            json!([{
                "uri": "ui://tickets/plain",
                "mimeType": "text/html;profile=mcp-app",
                "text": "<!doctype html><p>plain",
                "_meta": {"ui": {}, "openai/widgetCSP": {"connect_domains": [], "resource_domains": []}}
            }]),
            "{version}"
        );
    }
}

#[tokio::test]
async fn resources_list_declares_the_pages_and_the_skybridge_copy() {
    for version in ERAS {
        let client = client(version, json!({})).await;
        let listed = client.list_all("resources/list", "resources").await.unwrap();
        assert_eq!(
            listed,
            vec![
                json!({
                    "uri": "ui://tickets/board",
                    "name": "board",
                    "title": "Ticket board",
                    "mimeType": "text/html;profile=mcp-app",
                    "_meta": board_meta()
                }),
                json!({
                    "uri": "ui://tickets/board.skybridge",
                    "name": "board",
                    "title": "Ticket board",
                    "mimeType": "text/html+skybridge",
                    "_meta": skybridge_meta()
                }),
                json!({
                    "uri": "ui://tickets/plain",
                    "name": "plain",
                    "mimeType": "text/html;profile=mcp-app",
                    "_meta": {"ui": {}, "openai/widgetCSP": {"connect_domains": [], "resource_domains": []}}
                }),
            ],
            "{version}"
        );
    }
}

#[tokio::test]
async fn the_extension_is_advertised_in_both_eras() {
    let legacy = client("2025-11-25", json!({})).await;
    let init = legacy
        .request(
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "c", "version": "1"}}),
        )
        .await
        .unwrap();
    assert_eq!(init["capabilities"]["extensions"], json!({"io.modelcontextprotocol/ui": {}}));
    let modern = client("2026-07-28", json!({})).await;
    let discover = modern.request("server/discover", json!({})).await.unwrap();
    assert_eq!(discover["capabilities"]["extensions"], json!({"io.modelcontextprotocol/ui": {}}));

    let without = Server::builder("plain", "1")
        .tool(Tool::read("t").handler(|_c, _a| async { Ok(CallToolResult::text("t")) }))
        .build()
        .unwrap();
    assert!(without.capabilities().extensions.is_none());
}

#[tokio::test]
async fn a_result_for_the_ui_reads_the_same_with_or_without_ui_support() {
    for version in ERAS {
        for capabilities in [json!({}), ui_client_capabilities()] {
            let client = client(version, capabilities.clone()).await;
            let result =
                client.request("tools/call", json!({"name": "show_board", "arguments": {}})).await.unwrap();
            assert_eq!(result["content"], json!([{"type": "text", "text": "2 open tickets"}]), "{version}");
            assert_eq!(result["structuredContent"], json!({"open": 2}), "{version}");
            assert_eq!(result["_meta"]["columns"], json!(["open", "closed"]), "{version}");
            assert!(result.get("isError").is_none(), "{version} {capabilities}");
            let app_only = client.call_tool("move_card", json!({})).await.unwrap();
            assert_eq!(app_only.content[0].as_text(), Some("moved"));
        }
    }
}

#[tokio::test]
async fn handlers_can_ask_whether_the_client_shows_pages() {
    let server = Server::builder("ask", "1")
        .tool(Tool::read("ask").handler(|ctx, _args| async move {
            Ok(CallToolResult::text(ctx.client_supports_ui().to_string()))
        }))
        .build()
        .unwrap();
    for version in ERAS {
        for (capabilities, expected) in [
            (json!({}), "false"),
            (json!({"extensions": {"io.modelcontextprotocol/ui": {"mimeTypes": ["text/other"]}}}), "false"),
            (ui_client_capabilities(), "true"),
        ] {
            let client = TestClient::builder(server.clone())
                .protocol_version(version)
                .capabilities(capabilities)
                .connect()
                .await;
            let result = client.call_tool("ask", json!({})).await.unwrap();
            assert_eq!(result.content[0].as_text(), Some(expected), "{version}");
        }
    }
}

fn build_error(builder: ServerBuilder) -> String {
    match builder.build() {
        Ok(_) => panic!("the server built"),
        Err(e @ BuildError::InvalidUi { .. }) => e.to_string(),
        Err(other) => panic!("another error: {other}"),
    }
}

fn page(uri: &str, meta: UiMeta) -> Resource {
    Resource::new(uri, "page").ui(meta).html("<!doctype html>")
}

fn show(uri: &str) -> Tool {
    Tool::read("show").ui(uri).handler(|_c, _a| async { Ok(CallToolResult::text("shown")) })
}

#[test]
fn build_refuses_misdeclared_pages_and_says_what_to_fix() {
    let s = || Server::builder("bad", "1");
    assert_eq!(
        build_error(s().resource(page("https://x.example/board", UiMeta::new()))),
        "UI resource \"https://x.example/board\": \"https://x.example/board\" is not a `ui://` URI; MCP Apps resources are \
         named `ui://<server>/<view>`, such as \"ui://tickets/board\""
    );
    assert_eq!(
        build_error(s().resource(page("ui://t/b", UiMeta::new().connect_domain("api.example.com")))),
        "UI resource \"ui://t/b\": `connect_domain` \"api.example.com\" has no scheme; write the origin in full, such as \
         \"https://api.example.com\""
    );
    assert_eq!(
        build_error(
            s().resource(page("ui://t/b", UiMeta::new().resource_domain("https://cdn.example/lib.js")))
        ),
        "UI resource \"ui://t/b\": `resource_domain` \"https://cdn.example/lib.js\" has a path; CSP lists take origins \
         only: \"https://cdn.example\""
    );
    assert!(
        build_error(s().resource(page("ui://t/b", UiMeta::new().domain("bad host"))))
            .starts_with("UI resource \"ui://t/b\": `domain` \"bad host\"")
    );
    let template = Resource::template("ui://t/{id}", "t").unwrap().ui(UiMeta::new()).html("");
    assert!(build_error(s().resource(template)).contains("not a template"));
}

#[test]
fn build_refuses_a_tool_showing_a_page_that_is_not_registered() {
    let s = || Server::builder("bad", "1");
    assert_eq!(
        build_error(s().tool(show("ui://t/missing"))),
        "tool \"show\": it shows \"ui://t/missing\", but no resource with that URI is registered; register the page with \
         `.resource(...)` or fix the URI"
    );
    let not_ui = Resource::new("ui://t/raw", "raw").html("<p>");
    assert!(
        build_error(s().resource(not_ui).tool(show("ui://t/raw")))
            .contains("registered but not as a UI page")
    );
    assert!(build_error(s().tool(show("tickets://board"))).contains("not a `ui://` URI"));
    let long =
        Tool::read("long").invoking("x".repeat(65)).handler(|_c, _a| async { Ok(CallToolResult::text("")) });
    assert_eq!(
        build_error(s().tool(long)),
        format!(
            "tool \"long\": its `invoking` text {:?}: it has 65 characters; ChatGPT shows at most 64",
            "x".repeat(65)
        )
    );
}

#[tokio::test]
async fn pages_and_tools_added_at_run_time_are_checked_and_linked() {
    let server = Server::builder("live", "1").enable_tools().enable_resources().build().unwrap();
    assert!(matches!(server.add_tool(show("ui://live/page")), Err(BuildError::InvalidUi { .. })));
    server.add_resource(page("ui://live/page", UiMeta::new())).unwrap();
    server.add_tool(show("ui://live/page")).unwrap();
    let meta = server.tool("show").unwrap().definition().meta.clone().unwrap();
    assert_eq!(meta["ui"]["resourceUri"], "ui://live/page");
    let client = TestClient::connect(server).await;
    assert_eq!(client.list_tools().await.unwrap()[0]["_meta"]["openai/outputTemplate"], "ui://live/page");
}

#[test]
fn the_authors_own_meta_wins_over_the_generated_keys() {
    let mut own = serde_json::Map::new();
    own.insert("openai/widgetAccessible".into(), json!(false));
    own.insert("custom".into(), json!(1));
    let tool =
        Tool::read("show").meta(own).ui("ui://t/p").handler(|_c, _a| async { Ok(CallToolResult::text("")) });
    let server =
        Server::builder("own", "1").resource(page("ui://t/p", UiMeta::new())).tool(tool).build().unwrap();
    let meta = server.tool("show").unwrap().definition().meta.clone().unwrap();
    assert_eq!(meta["openai/widgetAccessible"], false);
    assert_eq!(meta["custom"], 1);
    assert_eq!(meta["ui"]["resourceUri"], "ui://t/p");
}

mod declared_with_macros {
    use mcp_connector_core::{Server, WithUi, resource, tool};
    use serde_json::json;

    #[derive(serde::Serialize, schemars::JsonSchema)]
    struct Board {
        open: u32,
    }

    /// The ticket board.
    #[resource(
        uri = "ui://tickets/board",
        ui(
            connect_domains = ["https://api.tickets.example"],
            resource_domains = ["https://*.cdn.example"],
            frame_domains = ["https://video.example"],
            permissions = ["clipboardWrite"],
            domain = "tickets.example.com",
            prefers_border,
            description = "Open tickets by status",
            skybridge_copy
        )
    )]
    fn board() -> &'static str {
        super::BOARD_HTML
    }

    /// Show the board.
    #[tool(read, ui = "ui://tickets/board", invoking = "Loading the board…", invoked = "Board ready")]
    async fn show_board() -> WithUi<Board> {
        WithUi::new(Board { open: 2 }).text("2 open tickets")
    }

    /// Move a card.
    #[tool(write, visibility = "app")]
    async fn move_card() -> String {
        "moved".into()
    }

    #[tokio::test]
    async fn the_macros_declare_exactly_what_the_builders_do() {
        let server = Server::builder("ui", "1.0.0")
            .resource(board::resource())
            .tool(show_board::tool())
            .tool(move_card::tool())
            .build()
            .unwrap();
        for version in super::ERAS {
            let client = mcp_connector_core::testing::TestClient::builder(server.clone())
                .protocol_version(version)
                .connect()
                .await;
            let tools = client.list_tools().await.unwrap();
            assert_eq!(
                tools[0]["_meta"],
                json!({
                    "ui": {"resourceUri": "ui://tickets/board"},
                    "ui/resourceUri": "ui://tickets/board",
                    "openai/outputTemplate": "ui://tickets/board.skybridge",
                    "openai/widgetAccessible": true,
                    "openai/toolInvocation/invoking": "Loading the board…",
                    "openai/toolInvocation/invoked": "Board ready"
                }),
                "{version}"
            );
            assert_eq!(
                tools[0]["outputSchema"]["properties"]["open"]["type"], "integer",
                "WithUi<T> gives T's schema"
            );
            assert_eq!(
                tools[1]["_meta"],
                json!({"ui": {"visibility": ["app"]}, "openai/visibility": "private", "openai/widgetAccessible": true})
            );
            let read = client.request("resources/read", json!({"uri": "ui://tickets/board"})).await.unwrap();
            assert_eq!(
                read["contents"],
                json!([{
                    "uri": "ui://tickets/board",
                    "mimeType": "text/html;profile=mcp-app",
                    "text": super::BOARD_HTML,
                    "_meta": super::board_meta()
                }]),
                "{version}"
            );
            let result =
                client.request("tools/call", json!({"name": "show_board", "arguments": {}})).await.unwrap();
            assert_eq!(result["structuredContent"], json!({"open": 2}));
            assert_eq!(result["content"], json!([{"type": "text", "text": "2 open tickets"}]));
        }
    }
}
