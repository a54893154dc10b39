//! The HTTP transport as an OAuth 2.1 resource server (MCP 2025-11-25, basic/authorization):
//! metadata, challenges, the three verifiers, per-tool scopes, mixed mode, claims and
//! `securitySchemes`. Tokens are minted here with fixed test keys against a fake issuer; the
//! flow against a real authorization server is in `auth_oidc.rs`.
#![cfg(feature = "auth")]

mod auth_support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use auth_support::*;
use mcp_connector_core::auth::Claims;
use mcp_connector_transport::auth::{Auth, IntrospectionVerifier, JwtVerifier, StaticTokens};
use mcp_connector_transport::http::HttpTransport;
use serde_json::{Value, json};

/// Starts the connector with `auth` built for its own canonical URL; returns (base, mcp url).
async fn start(make: impl FnOnce(&str) -> Auth) -> (String, String) {
    let (listener, base) = listener().await;
    let resource = format!("{base}/mcp");
    let router = HttpTransport::new(server()).auth(make(&resource)).router();
    serve_on(listener, router);
    (base, resource)
}

fn static_tokens() -> StaticTokens {
    StaticTokens::new().user("writer-token", "alice", ["tickets:read", "tickets:write"]).user(
        "reader-token",
        "bob",
        ["tickets:read"],
    )
}

async fn text_of(response: reqwest::Response) -> (bool, String, Value) {
    let result = result(response).await;
    let failed = result["isError"] == json!(true);
    let text = result["content"][0]["text"].as_str().unwrap_or_default().to_owned();
    (failed, text, result)
}

// 2025-11-25, basic/authorization, "Authorization Server Location": the metadata MUST list at
// least one authorization server; "Protected Resource Metadata Discovery Requirements": at the
// path-suffixed well-known URI or at the root.
#[tokio::test]
async fn protected_resource_metadata_is_served_at_the_root_and_path_suffixed_well_known_uris() {
    let (base, resource) = start(|r| {
        Auth::required(r, static_tokens())
            .authorization_server("https://login.example.com")
            .resource_name("Tickets")
    })
    .await;
    for path in ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"] {
        let response = client().get(format!("{base}{path}")).send().await.expect("sent");
        assert_eq!(response.status(), 200, "{path}");
        let doc: Value = response.json().await.expect("json");
        assert_eq!(doc["resource"], json!(resource));
        assert_eq!(doc["authorization_servers"], json!(["https://login.example.com"]));
        assert_eq!(doc["scopes_supported"], json!(["tickets:write"]));
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
        assert_eq!(doc["resource_name"], json!("Tickets"));
    }
}

// "Protected Resource Metadata Discovery Requirements" (WWW-Authenticate with
// resource_metadata, and scope SHOULD be included) and "Token Handling".
#[tokio::test]
async fn a_request_without_a_token_gets_401_with_resource_metadata_and_scope() {
    let (base, resource) = start(|r| Auth::required(r, static_tokens())).await;
    let response = rpc(&resource, None, initialize()).await;
    assert_eq!(response.status(), 401);
    let challenge = www_authenticate(&response);
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert_eq!(
        param(&challenge, "resource_metadata").as_deref(),
        Some(format!("{base}/.well-known/oauth-protected-resource/mcp").as_str())
    );
    assert_eq!(param(&challenge, "scope").as_deref(), Some("tickets:write"));
    assert_eq!(param(&challenge, "error"), None, "no error code when no token was sent (RFC 6750, 3.1)");
}

// "Access Token Usage", item 2: access tokens MUST NOT be in the query string; the server
// reads the Authorization header only.
#[tokio::test]
async fn a_token_in_the_query_string_is_ignored() {
    let (_, resource) = start(|r| Auth::required(r, static_tokens())).await;
    let response = rpc(&format!("{resource}?access_token=writer-token"), None, initialize()).await;
    assert_eq!(response.status(), 401);
}

// "Token Handling": invalid tokens MUST receive a 401.
#[tokio::test]
async fn an_unknown_static_token_gets_401_invalid_token() {
    let (_, resource) = start(|r| Auth::required(r, static_tokens())).await;
    let response = rpc(&resource, Some("guessed"), initialize()).await;
    assert_eq!(response.status(), 401);
    assert_eq!(param(&www_authenticate(&response), "error").as_deref(), Some("invalid_token"));
}

#[tokio::test]
async fn a_static_token_reaches_the_handler_as_claims() {
    let (_, resource) = start(|r| Auth::required(r, static_tokens())).await;
    let (failed, text, _) =
        text_of(rpc(&resource, Some("writer-token"), call("whoami", json!({}))).await).await;
    assert!(!failed);
    assert_eq!(text, "alice||tickets:read tickets:write");
    let (failed, text, _) =
        text_of(rpc(&resource, Some("writer-token"), call("close_ticket", json!({"id": 7}))).await).await;
    assert!(!failed, "{text}");
    assert_eq!(text, "ticket 7 closed by alice");
}

// "Runtime Insufficient Scope Errors": 403, error="insufficient_scope", the scopes needed
// (with those already granted) and resource_metadata.
#[tokio::test]
async fn a_token_without_the_tools_scope_gets_403_insufficient_scope() {
    let (_, resource) = start(|r| Auth::required(r, static_tokens())).await;
    let response = rpc(&resource, Some("reader-token"), call("close_ticket", json!({"id": 7}))).await;
    assert_eq!(response.status(), 403);
    let challenge = www_authenticate(&response);
    assert_eq!(param(&challenge, "error").as_deref(), Some("insufficient_scope"));
    assert_eq!(param(&challenge, "scope").as_deref(), Some("tickets:read tickets:write"));
    assert!(param(&challenge, "resource_metadata").is_some());
    // The same token may still call tools that need no scope.
    let (failed, _, _) =
        text_of(rpc(&resource, Some("reader-token"), call("list_tickets", json!({}))).await).await;
    assert!(!failed);
}

#[tokio::test]
async fn handlers_never_see_the_authorization_header() {
    let (listener, base) = listener().await;
    let resource = format!("{base}/mcp");
    let server = mcp_connector_core::Server::builder("s", "1")
        .tool(mcp_connector_core::Tool::read("headers").handler(|ctx, _| async move {
            let headers = ctx.extensions().get::<axum::http::HeaderMap>().cloned().unwrap_or_default();
            let has_auth = headers.contains_key("authorization");
            Ok(mcp_connector_core::protocol::CallToolResult::text(format!("{has_auth}")))
        }))
        .build()
        .expect("server");
    serve_on(listener, HttpTransport::new(server).auth(Auth::required(&resource, static_tokens())).router());
    let (_, text, _) = text_of(rpc(&resource, Some("writer-token"), call("headers", json!({}))).await).await;
    assert_eq!(text, "false");
}

// ---- JWT ----

async fn jwt_server(issuer: &Issuer, leeway: Duration) -> (String, String) {
    let issuer_url = issuer.url.clone();
    start(move |r| {
        let verifier = JwtVerifier::new(&issuer_url, r).leeway(leeway).min_refresh_interval(Duration::ZERO);
        Auth::required(r, verifier).authorization_server(&issuer_url)
    })
    .await
}

#[tokio::test]
async fn jwt_access_tokens_signed_with_rs256_and_es256_are_accepted() {
    let issuer = Issuer::start(&[SigningKey::rsa(), SigningKey::ec()]).await;
    let (_, resource) = jwt_server(&issuer, Duration::from_secs(30)).await;
    for key in [SigningKey::rsa(), SigningKey::ec()] {
        let token = key.sign(&claims(&issuer.url, &resource, "tickets:write"));
        let (failed, text, _) = text_of(rpc(&resource, Some(&token), call("whoami", json!({}))).await).await;
        assert!(!failed, "{:?}: {text}", key.alg);
        assert_eq!(text, "alice|chatgpt|tickets:write");
    }
    // Keys are fetched once and cached.
    assert_eq!(issuer.jwks_fetches.load(Ordering::SeqCst), 1);
}

// "Token Handling": servers MUST validate that tokens were issued for them (RFC 8707 audience).
#[tokio::test]
async fn a_jwt_for_another_audience_is_refused_with_401() {
    let issuer = Issuer::start(&[SigningKey::ec()]).await;
    let (_, resource) = jwt_server(&issuer, Duration::from_secs(30)).await;
    let token = SigningKey::ec().sign(&claims(&issuer.url, "https://other.example.com/mcp", "tickets:write"));
    let response = rpc(&resource, Some(&token), initialize()).await;
    assert_eq!(response.status(), 401);
    let challenge = www_authenticate(&response);
    assert_eq!(param(&challenge, "error").as_deref(), Some("invalid_token"));
    assert!(param(&challenge, "error_description").unwrap_or_default().contains("audience"), "{challenge}");
    // An array audience naming this server is fine.
    let mut both = claims(&issuer.url, &resource, "tickets:write");
    both["aud"] = json!(["https://other.example.com", resource]);
    assert_eq!(rpc(&resource, Some(&SigningKey::ec().sign(&both)), initialize()).await.status(), 200);
}

#[tokio::test]
async fn expired_and_not_yet_valid_jwts_are_refused_within_a_small_leeway() {
    let issuer = Issuer::start(&[SigningKey::ec()]).await;
    let (_, resource) = jwt_server(&issuer, Duration::from_secs(30)).await;
    let key = SigningKey::ec();
    let status = |mut c: Value, field: &str, value: u64| {
        c[field] = json!(value);
        let token = key.sign(&c);
        let resource = resource.clone();
        async move { rpc(&resource, Some(&token), initialize()).await.status().as_u16() }
    };
    let base = claims(&issuer.url, &resource, "");
    assert_eq!(status(base.clone(), "exp", now() - 120).await, 401, "expired two minutes ago");
    assert_eq!(status(base.clone(), "exp", now() - 5).await, 200, "expired within the leeway");
    assert_eq!(status(base.clone(), "nbf", now() + 120).await, 401, "not valid for two minutes");
    assert_eq!(status(base.clone(), "nbf", now() + 5).await, 200, "nbf within the leeway");
    let mut no_exp = base.clone();
    no_exp.as_object_mut().expect("object").remove("exp");
    assert_eq!(rpc(&resource, Some(&key.sign(&no_exp)), initialize()).await.status(), 401, "no exp");
}

#[tokio::test]
async fn jwts_from_another_issuer_or_with_a_bad_signature_or_algorithm_are_refused() {
    let issuer = Issuer::start(&[SigningKey::ec()]).await;
    let (_, resource) = jwt_server(&issuer, Duration::from_secs(30)).await;
    let key = SigningKey::ec();
    let foreign = key.sign(&claims("https://evil.example.com", &resource, ""));
    assert_eq!(rpc(&resource, Some(&foreign), initialize()).await.status(), 401);
    // Signed by a key the issuer does not publish, under a kid it does publish.
    let mut impostor = SigningKey::ec_rotated();
    impostor.kid = "ec-1".into();
    let forged = impostor.sign(&claims(&issuer.url, &resource, ""));
    assert_eq!(rpc(&resource, Some(&forged), initialize()).await.status(), 401);
    // A shared-secret algorithm is never accepted.
    let hs = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims(&issuer.url, &resource, ""),
        &jsonwebtoken::EncodingKey::from_secret(b"secret"),
    )
    .expect("hs256");
    assert_eq!(rpc(&resource, Some(&hs), initialize()).await.status(), 401);
}

#[tokio::test]
async fn an_unknown_kid_fetches_the_jwks_again_after_key_rotation() {
    let issuer = Issuer::start(&[SigningKey::ec()]).await;
    let (_, resource) = jwt_server(&issuer, Duration::from_secs(30)).await;
    let old = SigningKey::ec().sign(&claims(&issuer.url, &resource, ""));
    assert_eq!(rpc(&resource, Some(&old), initialize()).await.status(), 200);
    issuer.publish(&SigningKey::ec_rotated());
    let new = SigningKey::ec_rotated().sign(&claims(&issuer.url, &resource, ""));
    assert_eq!(rpc(&resource, Some(&new), initialize()).await.status(), 200);
    assert_eq!(issuer.jwks_fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_unreachable_issuer_gives_503_not_401() {
    let (listener, dead) = listener().await;
    drop(listener);
    let (_, resource) = start(|r| Auth::required(r, JwtVerifier::new(&dead, r))).await;
    let token = SigningKey::ec().sign(&claims(&dead, &resource, ""));
    let response = rpc(&resource, Some(&token), initialize()).await;
    assert_eq!(response.status(), 503);
}

// ---- introspection (RFC 7662) ----

#[tokio::test]
async fn introspected_tokens_must_be_active_and_for_this_audience() {
    let issuer = Issuer::start(&[]).await;
    let endpoint = format!("{}/introspect", issuer.url);
    let issuer_url = issuer.url.clone();
    let (_, resource) = start(move |r| {
        let verifier =
            IntrospectionVerifier::new(&endpoint, r).client_credentials("mcp", "s3cret").issuer(&issuer_url);
        Auth::required(r, verifier)
    })
    .await;
    {
        let mut table = issuer.introspection.lock().expect("lock");
        table.insert("good".into(), json!({"active": true, "sub": "carol", "client_id": "cursor", "scope": "tickets:write", "aud": resource, "iss": issuer.url, "exp": now() + 60}));
        table.insert("other-aud".into(), json!({"active": true, "sub": "carol", "aud": "https://other.example.com", "iss": issuer.url, "exp": now() + 60}));
        table.insert(
            "expired".into(),
            json!({"active": true, "sub": "carol", "aud": resource, "iss": issuer.url, "exp": now() - 600}),
        );
    }
    let (failed, text, _) = text_of(rpc(&resource, Some("good"), call("whoami", json!({}))).await).await;
    assert!(!failed);
    assert_eq!(text, "carol|cursor|tickets:write");
    for token in ["other-aud", "expired", "inactive"] {
        assert_eq!(rpc(&resource, Some(token), initialize()).await.status(), 401, "{token}");
    }
    let sent = issuer.introspection_auth.lock().expect("lock").clone();
    assert!(sent.iter().all(|a| a.starts_with("Basic ")), "the server authenticates to the endpoint");
}

// ---- mixed mode (ChatGPT) ----

#[tokio::test]
async fn mixed_mode_lets_initialize_list_and_public_tools_through_without_a_token() {
    let (_, resource) = start(|r| Auth::mixed(r, static_tokens())).await;
    assert_eq!(rpc(&resource, None, initialize()).await.status(), 200);
    let tools = result(rpc(&resource, None, list_tools()).await).await;
    assert_eq!(tools["tools"].as_array().map(Vec::len), Some(4));
    let (failed, _, _) = text_of(rpc(&resource, None, call("list_tickets", json!({}))).await).await;
    assert!(!failed);
}

#[tokio::test]
async fn mixed_mode_answers_a_protected_tool_without_a_token_with_a_login_challenge_in_meta() {
    let (base, resource) = start(|r| Auth::mixed(r, static_tokens())).await;
    for (tool, args) in [
        ("close_ticket", json!({"id": 1})),
        ("comment", json!({"id": 1, "text": "hi"})),
        ("whoami", json!({})),
    ] {
        let (failed, text, result) = text_of(rpc(&resource, None, call(tool, args)).await).await;
        assert!(failed, "{tool}: {text}");
        let challenges = &result["_meta"]["mcp/www_authenticate"];
        let challenge = challenges[0].as_str().unwrap_or_else(|| panic!("{tool}: no challenge in {result}"));
        assert!(challenge.starts_with("Bearer "));
        assert_eq!(
            param(challenge, "resource_metadata").as_deref(),
            Some(format!("{base}/.well-known/oauth-protected-resource/mcp").as_str())
        );
        assert!(param(challenge, "error").is_some() && param(challenge, "error_description").is_some());
    }
    // With a token, the same call works; an invalid token is still a 401.
    let (failed, _, _) =
        text_of(rpc(&resource, Some("writer-token"), call("close_ticket", json!({"id": 1}))).await).await;
    assert!(!failed);
    assert_eq!(rpc(&resource, Some("guessed"), list_tools()).await.status(), 401);
}

#[tokio::test]
async fn security_schemes_are_emitted_on_each_tool_and_mirrored_in_meta() {
    let (_, resource) = start(|r| Auth::mixed(r, static_tokens())).await;
    let tools = result(rpc(&resource, None, list_tools()).await).await;
    let by_name = |name: &str| {
        tools["tools"].as_array().expect("tools").iter().find(|t| t["name"] == name).cloned().expect("tool")
    };
    let expect = [
        ("list_tickets", json!([{"type": "noauth"}, {"type": "oauth2", "scopes": []}])),
        ("close_ticket", json!([{"type": "oauth2", "scopes": ["tickets:write"]}])),
        ("comment", json!([{"type": "oauth2", "scopes": []}])),
    ];
    for (name, schemes) in expect {
        let tool = by_name(name);
        assert_eq!(tool["securitySchemes"], schemes, "{name}");
        assert_eq!(tool["_meta"]["securitySchemes"], schemes, "{name}");
    }
    // In required mode every tool needs OAuth.
    let (_, required) = start(|r| Auth::required(r, static_tokens())).await;
    let tools = result(rpc(&required, Some("reader-token"), list_tools()).await).await;
    for tool in tools["tools"].as_array().expect("tools") {
        assert_eq!(tool["securitySchemes"][0]["type"], "oauth2", "{tool}");
    }
}

#[tokio::test]
async fn claims_extractor_fails_with_a_challenge_when_anonymous_writes_are_allowed_but_claims_are_needed() {
    let (_, resource) = start(|r| Auth::mixed(r, static_tokens()).anonymous_writes(true)).await;
    let (failed, text, _) =
        text_of(rpc(&resource, None, call("comment", json!({"id": 2, "text": "x"}))).await).await;
    assert!(!failed, "anonymous writes allowed: {text}");
    // `whoami` needs no token, but takes Claims: without one, it asks the client to sign in.
    let (failed, _, result) = text_of(rpc(&resource, None, call("whoami", json!({}))).await).await;
    assert!(failed);
    assert!(result["_meta"]["mcp/www_authenticate"][0].is_string(), "{result}");
    let claims = Claims { subject: Some("x".into()), ..Claims::default() };
    assert!(!claims.has_scope("tickets:write"));
}
