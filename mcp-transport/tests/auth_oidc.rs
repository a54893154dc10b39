//! End to end against a real authorization server (oidc-provider, from `interop/oauth`): the
//! flow ChatGPT performs, from the first 401 to a scoped write, and the tokens that must be
//! refused. Skips (saying so on stderr) when `interop/oauth/node_modules` is missing, unless
//! `MCP_INTEROP=required`.
#![cfg(feature = "auth")]

mod auth_support;

use std::collections::HashMap;
use std::time::Duration;

use auth_support::*;
use base64::Engine;
use mcp_connector_transport::auth::{Auth, JwtVerifier};
use mcp_connector_transport::http::HttpTransport;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

/// What a client learns by discovery.
struct Discovered {
    authorization_endpoint: String,
    token_endpoint: String,
    registration_endpoint: String,
}

/// 401 -> resource_metadata -> authorization server metadata (2025-11-25,
/// basic/authorization, "Authorization Server Metadata Discovery": RFC 8414 first, then
/// OpenID Connect Discovery).
async fn discover(resource: &str) -> Discovered {
    let response = rpc(resource, None, initialize()).await;
    assert_eq!(response.status(), 401);
    let challenge = www_authenticate(&response);
    let metadata_url = param(&challenge, "resource_metadata").expect("resource_metadata in the challenge");
    let prm: Value = client().get(&metadata_url).send().await.expect("prm").json().await.expect("prm json");
    assert_eq!(prm["resource"], json!(resource));
    let issuer = prm["authorization_servers"][0].as_str().expect("an authorization server").to_owned();
    let mut as_metadata = None;
    for url in [
        format!("{issuer}/.well-known/oauth-authorization-server"),
        format!("{issuer}/.well-known/openid-configuration"),
    ] {
        let response = client().get(&url).send().await.expect("as metadata");
        if response.status() == 200 {
            as_metadata = Some(response.json::<Value>().await.expect("json"));
            break;
        }
    }
    let meta = as_metadata.expect("authorization server metadata");
    // "Authorization Code Protection": clients MUST refuse to proceed without S256 in the metadata.
    assert!(meta["code_challenge_methods_supported"].as_array().is_some_and(|m| m.contains(&json!("S256"))));
    let field = |name: &str| meta[name].as_str().unwrap_or_else(|| panic!("no {name}")).to_owned();
    Discovered {
        authorization_endpoint: field("authorization_endpoint"),
        token_endpoint: field("token_endpoint"),
        registration_endpoint: field("registration_endpoint"),
    }
}

/// Dynamic client registration (RFC 7591): a public client, as ChatGPT registers.
async fn register(discovered: &Discovered, name: &str) -> String {
    let response = client()
        .post(&discovered.registration_endpoint)
        .json(&json!({
            "client_name": name,
            "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
        }))
        .send()
        .await
        .expect("registration");
    assert_eq!(response.status(), 201, "registration");
    let body: Value = response.json().await.expect("json");
    body["client_id"].as_str().expect("client_id").to_owned()
}

/// The authorization code flow with PKCE S256 and `resource` (RFC 8707) in both requests;
/// the user's login and consent are automatic in the test server. Returns the access token.
async fn authorize(
    issuer: &str,
    discovered: &Discovered,
    client_id: &str,
    scope: &str,
    resource: &str,
) -> String {
    let verifier = format!("{}{}", "v".repeat(20), now()).repeat(2);
    let challenge =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut url = reqwest::Url::parse(&discovered.authorization_endpoint).expect("url");
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", scope)
        .append_pair("resource", resource)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", "st4te");
    let mut next = url.to_string();
    let mut cookies: HashMap<String, String> = HashMap::new();
    let code = loop {
        let jar: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let response =
            client().get(&next).header("cookie", jar.join("; ")).send().await.expect("authorize step");
        for set in response.headers().get_all("set-cookie") {
            let pair = set.to_str().unwrap_or_default().split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                cookies.insert(k.trim().to_owned(), v.to_owned());
            }
        }
        assert!(
            response.status().is_redirection(),
            "{} at {next}: {}",
            response.status(),
            response.text().await.unwrap_or_default()
        );
        let location = response.headers()["location"].to_str().expect("location").to_owned();
        if location.starts_with(REDIRECT_URI) {
            let back = reqwest::Url::parse(&location).expect("redirect");
            let get = |k: &str| back.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
            assert_eq!(get("error"), None, "authorization error: {location}");
            assert_eq!(get("state").as_deref(), Some("st4te"));
            break get("code").expect("code");
        }
        next = if location.starts_with('/') { format!("{issuer}{location}") } else { location };
    };
    let response = client()
        .post(&discovered.token_endpoint)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", client_id),
            ("code_verifier", &verifier),
            ("resource", resource),
        ])
        .send()
        .await
        .expect("token");
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, 200, "token endpoint: {body}");
    body["access_token"].as_str().expect("access_token").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chatgpt_style_oauth_flow_against_oidc_provider() {
    let Some(real) = tokio::task::spawn_blocking(RealIssuer::start).await.expect("start") else {
        return;
    };
    let (listener, base) = listener().await;
    let resource = format!("{base}/mcp");
    let verifier = JwtVerifier::new(&real.issuer, &resource).leeway(Duration::from_secs(1));
    let auth = Auth::required(&resource, verifier)
        .authorization_server(&real.issuer)
        .scopes_supported(["tickets:read", "tickets:write"]);
    serve_on(listener, HttpTransport::new(server()).auth(auth).router());

    let discovered = discover(&resource).await;
    let client_id = register(&discovered, "chatgpt-like").await;
    let token =
        authorize(&real.issuer, &discovered, &client_id, "openid tickets:read tickets:write", &resource)
            .await;

    // A read tool and a scoped write tool, with the claims the handler sees.
    assert_eq!(rpc(&resource, Some(&token), initialize()).await.status(), 200);
    let who = result(rpc(&resource, Some(&token), call("whoami", json!({}))).await).await;
    let text = who["content"][0]["text"].as_str().expect("text");
    assert!(text.starts_with(&format!("alice|{client_id}|")), "{text}");
    assert!(text.contains("tickets:write"), "{text}");
    let closed = result(rpc(&resource, Some(&token), call("close_ticket", json!({"id": 42}))).await).await;
    assert_eq!(closed["isError"], Value::Null, "{closed}");
    assert_eq!(closed["content"][0]["text"], "ticket 42 closed by alice");

    // A token for another resource (audience): 401.
    let foreign =
        authorize(&real.issuer, &discovered, &client_id, "openid tickets:write", "http://127.0.0.1:1/other")
            .await;
    let response = rpc(&resource, Some(&foreign), call("list_tickets", json!({}))).await;
    assert_eq!(response.status(), 401);
    assert_eq!(param(&www_authenticate(&response), "error").as_deref(), Some("invalid_token"));

    // A token without the write scope: reads work, the scoped write gets 403.
    let reader = authorize(&real.issuer, &discovered, &client_id, "openid tickets:read", &resource).await;
    assert_eq!(rpc(&resource, Some(&reader), call("list_tickets", json!({}))).await.status(), 200);
    let response = rpc(&resource, Some(&reader), call("close_ticket", json!({"id": 42}))).await;
    assert_eq!(response.status(), 403);
    let challenge = www_authenticate(&response);
    assert_eq!(param(&challenge, "error").as_deref(), Some("insufficient_scope"));
    assert!(param(&challenge, "scope").unwrap_or_default().contains("tickets:write"), "{challenge}");

    // An expired token (this client's tokens live 1 s; the server allows 1 s of skew): 401.
    let short_client = register(&discovered, "short-lived").await;
    let short = authorize(&real.issuer, &discovered, &short_client, "openid tickets:write", &resource).await;
    assert_eq!(rpc(&resource, Some(&short), initialize()).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let response = rpc(&resource, Some(&short), initialize()).await;
    assert_eq!(response.status(), 401);
    assert!(param(&www_authenticate(&response), "error_description").unwrap_or_default().contains("expired"));
    drop(real);
}
