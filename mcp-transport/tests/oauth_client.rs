//! The OAuth client on the wire, against a scripted authorization server and MCP server on
//! loopback (tests/oauth_support): each test asserts the exact requests the client makes,
//! citing the rule of the MCP "Authorization" specification (2025-11-25 and 2026-07-28) it
//! pins.
#![cfg(feature = "oauth-client")]

mod oauth_support;

use std::time::Duration;

use base64::Engine;
use mcp_connector_transport::client::Authorizer;
use mcp_connector_transport::client::oauth::{
    AuthorizationCallback, ClientCredentials, HeadlessBrowser, LoopbackBrowser, OAuthClient, OAuthError, Pkce,
};
use oauth_support::*;
use serde_json::json;

const REDIRECT: &str = "http://127.0.0.1:9/callback";

fn client(rs: &ResourceServer) -> OAuthClient {
    OAuthClient::builder(rs.mcp_url())
        .client_name("wire-test")
        .build(HeadlessBrowser::new(REDIRECT))
        .expect("client")
}

/// The error behind an `AuthorizeError`, as the OAuth client's own type.
fn oauth_error(error: &mcp_connector_transport::client::AuthorizeError) -> &OAuthError {
    error.downcast_ref::<OAuthError>().unwrap_or_else(|| panic!("not an OAuthError: {error}"))
}

/// The whole first contact: 401 -> metadata from `resource_metadata` -> RFC 8414 metadata ->
/// dynamic registration -> authorization request with PKCE S256, state, resource and the
/// challenge's scope -> token request with the verifier and the same resource -> the request
/// retried with the bearer token.
#[tokio::test]
async fn first_contact_runs_the_whole_code_flow_with_pkce_and_resource() {
    let (auth, rs, log) = pair(
        AsConfig::default(),
        RsConfig { required: vec!["mcp:read"], scope_in_header: true, ..RsConfig::default() },
    )
    .await;
    let oauth = client(&rs);
    assert_eq!(call(&oauth, &rs.mcp_url()).await.expect("authorized"), 200);

    assert_eq!(
        requests(&log, "rs"),
        vec!["POST /mcp", "GET /.well-known/oauth-protected-resource/mcp", "POST /mcp"],
        "the resource_metadata URL of the challenge is used, nothing else (Protected Resource Metadata Discovery)"
    );
    assert_eq!(
        requests(&log, "as1"),
        vec![
            "GET /.well-known/oauth-authorization-server",
            "POST /register",
            "GET /authorize",
            "POST /token"
        ]
    );
    // RFC 7591 registration, with application_type (2026-07-28) and refresh_token in grant_types.
    let register = &at(&log, "/register")[0];
    assert_eq!(
        register.json.clone().unwrap(),
        json!({
            "client_name": "wire-test",
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            "application_type": "native",
        })
    );
    let authorize = &at(&log, "/authorize")[0];
    let names: Vec<&str> = authorize.query.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "response_type",
            "client_id",
            "redirect_uri",
            "code_challenge",
            "code_challenge_method",
            "state",
            "resource",
            "scope"
        ]
    );
    assert_eq!(authorize.q("response_type"), Some("code"));
    assert_eq!(authorize.q("client_id"), Some("as1-client-1"));
    assert_eq!(authorize.q("redirect_uri"), Some(REDIRECT));
    assert_eq!(authorize.q("code_challenge_method"), Some("S256"));
    assert_eq!(
        authorize.q("resource"),
        Some(rs.mcp_url().as_str()),
        "RFC 8707 resource = canonical server URL"
    );
    assert_eq!(
        authorize.q("scope"),
        Some("mcp:read"),
        "Scope Selection Strategy: the challenge's scope first"
    );
    assert!(authorize.q("state").is_some_and(|s| s.len() >= 32));

    let token = &at(&log, "/token")[0];
    let verifier = token.f("code_verifier").expect("code_verifier");
    assert_eq!(
        Some(Pkce::challenge_of(verifier).as_str()),
        authorize.q("code_challenge"),
        "S256(verifier) = challenge"
    );
    assert_eq!(token.f("grant_type"), Some("authorization_code"));
    assert_eq!(token.f("redirect_uri"), Some(REDIRECT));
    assert_eq!(token.f("resource"), authorize.q("resource"), "the same resource in both requests");
    assert_eq!(token.f("client_id"), Some("as1-client-1"), "a public client names itself in the body");
    assert_eq!(token.authorization, None);

    let tokens = oauth.tokens().await.unwrap().expect("stored");
    let retried = log.lock().unwrap().iter().filter(|s| s.path == "/mcp").nth(1).cloned().unwrap();
    assert_eq!(retried.authorization, Some(format!("Bearer {}", tokens.access_token)));
    assert_eq!(oauth.authorization().await.unwrap(), Some(format!("Bearer {}", tokens.access_token)));
    assert_eq!(tokens.issuer, auth.issuer());
    assert_eq!(tokens.requested_scopes, vec!["mcp:read"]);
}

/// No `resource_metadata` in the challenge: the path-suffixed well-known URI, then the root
/// one; and an issuer with a path: RFC 8414 path insertion, OIDC path insertion, OIDC path
/// appending, in that order.
#[tokio::test]
async fn well_known_uris_are_tried_in_the_prescribed_order() {
    let (_auth, rs, log) = pair(
        AsConfig {
            issuer_path: "/tenant1".into(),
            metadata_path: "/tenant1/.well-known/openid-configuration".into(),
            ..AsConfig::default()
        },
        RsConfig {
            prm_path: Some("/.well-known/oauth-protected-resource".into()),
            prm_in_header: false,
            ..RsConfig::default()
        },
    )
    .await;
    assert_eq!(call(&client(&rs), &rs.mcp_url()).await.expect("authorized"), 200);
    assert_eq!(
        requests(&log, "rs"),
        vec![
            "POST /mcp",
            "GET /.well-known/oauth-protected-resource/mcp",
            "GET /.well-known/oauth-protected-resource",
            "POST /mcp"
        ]
    );
    assert_eq!(
        requests(&log, "as1")[..3],
        [
            "GET /.well-known/oauth-authorization-server/tenant1",
            "GET /.well-known/openid-configuration/tenant1",
            "GET /tenant1/.well-known/openid-configuration",
        ]
    );
    // The root metadata's resource is the origin: that is what the tokens are requested for.
    assert_eq!(at(&log, "/authorize")[0].q("resource"), Some(rs.origin().as_str()));
}

/// Without a `scope` in the challenge, all of `scopes_supported`; without those either, no
/// `scope` parameter at all.
#[tokio::test]
async fn scopes_come_from_scopes_supported_or_are_omitted() {
    let (_auth, rs, log) = pair(
        AsConfig::default(),
        RsConfig { scopes_supported: Some(vec!["mcp:basic", "mcp:read"]), ..RsConfig::default() },
    )
    .await;
    assert_eq!(call(&client(&rs), &rs.mcp_url()).await.unwrap(), 200);
    assert_eq!(at(&log, "/authorize")[0].q("scope"), Some("mcp:basic mcp:read"));

    let (_auth, rs, log) = pair(AsConfig::default(), RsConfig::default()).await;
    assert_eq!(call(&client(&rs), &rs.mcp_url()).await.unwrap(), 200);
    assert_eq!(at(&log, "/authorize")[0].q("scope"), None);
}

/// 2026-07-28 "Refresh Tokens": `offline_access` is added only when the authorization server
/// lists it.
#[tokio::test]
async fn offline_access_only_when_the_authorization_server_lists_it() {
    let (_auth, rs, log) = pair(
        AsConfig { scopes_supported: Some(vec!["mcp:basic", "offline_access"]), ..AsConfig::default() },
        RsConfig { required: vec!["mcp:basic"], scope_in_header: true, ..RsConfig::default() },
    )
    .await;
    assert_eq!(call(&client(&rs), &rs.mcp_url()).await.unwrap(), 200);
    assert_eq!(at(&log, "/authorize")[0].q("scope"), Some("mcp:basic offline_access"));
    assert_eq!(
        at(&log, "/authorize")[0].q("prompt"),
        Some("consent"),
        "OIDC Core 11: offline access needs consent"
    );

    let (_auth, rs, log) = pair(
        AsConfig { scopes_supported: Some(vec!["mcp:basic"]), ..AsConfig::default() },
        RsConfig { required: vec!["mcp:basic"], scope_in_header: true, ..RsConfig::default() },
    )
    .await;
    assert_eq!(call(&client(&rs), &rs.mcp_url()).await.unwrap(), 200);
    assert_eq!(at(&log, "/authorize")[0].q("scope"), Some("mcp:basic"));
    assert_eq!(at(&log, "/authorize")[0].q("prompt"), None);
}

/// "Step-Up Authorization Flow": a 403 `insufficient_scope` re-authorizes with the union of
/// the scopes asked before and the challenged ones; the same challenge again is retried at
/// most `max_step_ups` times, then reported.
#[tokio::test]
async fn step_up_asks_for_the_union_and_stops_at_the_limit() {
    let (_auth, rs, log) = pair(
        AsConfig::default(),
        RsConfig { required: vec!["mcp:basic"], scope_in_header: true, ..RsConfig::default() },
    )
    .await;
    let oauth = client(&rs);
    assert_eq!(call(&oauth, &rs.mcp_url()).await.unwrap(), 200);
    rs.configure(|c| c.required = vec!["mcp:write"]);
    assert_eq!(call(&oauth, &rs.mcp_url()).await.unwrap(), 200);
    let authorizations = at(&log, "/authorize");
    assert_eq!(authorizations.len(), 2);
    assert_eq!(authorizations[1].q("scope"), Some("mcp:basic mcp:write"), "previous ∪ challenged");
    assert_eq!(
        requests(&log, "as1").iter().filter(|r| r.ends_with("/register")).count(),
        1,
        "the registration is reused"
    );
}

/// The retry limit proper: the resource server answers 403 `insufficient_scope` to every
/// token; the client makes `max_step_ups` step-ups and then reports `StepUpLimit` instead of
/// looping.
#[tokio::test]
async fn a_scope_that_never_suffices_ends_in_step_up_limit() {
    let (auth, rs, log) = pair(
        AsConfig::default(),
        RsConfig { required: vec!["mcp:admin"], scope_in_header: true, ..RsConfig::default() },
    )
    .await;
    let oauth =
        OAuthClient::builder(rs.mcp_url()).max_step_ups(2).build(HeadlessBrowser::new(REDIRECT)).unwrap();
    assert_eq!(call(&oauth, &rs.mcp_url()).await.unwrap(), 200);
    // From now on no token is ever enough.
    rs.configure(|c| c.never_enough = true);
    let _ = auth;
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        outcomes.push(call(&oauth, &rs.mcp_url()).await.map_err(|e| oauth_error(&e).to_string()));
    }
    assert_eq!(outcomes[0], Ok(403));
    assert_eq!(outcomes[1], Ok(403));
    assert!(outcomes[2].as_ref().is_err_and(|e| e.contains("step-up")), "{outcomes:?}");
    assert_eq!(at(&log, "/authorize").len(), 3, "1 first authorization + 2 step-ups, then no more");
}

/// A token that expires within the margin is refreshed before the request: grant
/// `refresh_token` with the same `resource`; the rotated refresh token is used next time.
#[tokio::test]
async fn refreshes_before_expiry_with_resource_and_rotates() {
    let (_auth, rs, log) =
        pair(AsConfig { expires_in: 30, ..AsConfig::default() }, RsConfig::default()).await;
    // A 60 s margin makes every 30 s token due at once: deterministic, no sleeping.
    let oauth = OAuthClient::builder(rs.mcp_url())
        .refresh_margin(Duration::from_secs(60))
        .build(HeadlessBrowser::new(REDIRECT))
        .unwrap();
    assert_eq!(call(&oauth, &rs.mcp_url()).await.unwrap(), 200);
    // (The retry after the code exchange already refreshed once: every token is due.)
    let is_refresh = |t: &Seen| t.f("grant_type") == Some("refresh_token");
    let before = at(&log, "/token").iter().filter(|t| is_refresh(t)).count();
    let first = oauth.tokens().await.unwrap().unwrap();
    let header = oauth.authorization().await.unwrap().unwrap();
    let second = oauth.tokens().await.unwrap().unwrap();
    assert_eq!(header, format!("Bearer {}", second.access_token));
    assert_ne!(second.access_token, first.access_token);
    assert_ne!(second.refresh_token, first.refresh_token);
    let header = oauth.authorization().await.unwrap().unwrap();
    let third = oauth.tokens().await.unwrap().unwrap();
    assert_eq!(header, format!("Bearer {}", third.access_token));
    let refreshes: Vec<Seen> = at(&log, "/token").into_iter().filter(is_refresh).skip(before).collect();
    assert_eq!(refreshes.len(), 2);
    assert_eq!(refreshes[0].f("refresh_token"), first.refresh_token.as_deref());
    assert_eq!(refreshes[0].f("resource"), Some(rs.mcp_url().as_str()));
    assert_eq!(refreshes[0].f("client_id"), Some("as1-client-1"));
    assert_eq!(refreshes[0].f("scope"), None, "the grant's scopes are kept by omitting scope");
    assert_eq!(refreshes[1].f("refresh_token"), second.refresh_token.as_deref(), "the rotated refresh token");
    assert_eq!(at(&log, "/authorize").len(), 1, "no new authorization");
}

/// A 401 for a live token (revoked early): refresh once; if the server refuses the refreshed
/// token too, authorize anew instead of refreshing forever.
#[tokio::test]
async fn a_401_refreshes_once_then_reauthorizes() {
    let (_auth, rs, log) = pair(AsConfig::default(), RsConfig::default()).await;
    let oauth = client(&rs);
    assert_eq!(call(&oauth, &rs.mcp_url()).await.unwrap(), 200);
    rs.revoke(&oauth.tokens().await.unwrap().unwrap().access_token);
    assert_eq!(call(&oauth, &rs.mcp_url()).await.unwrap(), 200);
    assert_eq!(at(&log, "/authorize").len(), 1);
    assert_eq!(at(&log, "/token").last().unwrap().f("grant_type"), Some("refresh_token"));

    // The refreshed token is refused at once as well: this time a new authorization.
    rs.revoke(&oauth.tokens().await.unwrap().unwrap().access_token);
    assert_eq!(call(&oauth, &rs.mcp_url()).await.unwrap(), 200);
    assert_eq!(at(&log, "/authorize").len(), 2);
    assert_eq!(at(&log, "/token").last().unwrap().f("grant_type"), Some("authorization_code"));
}

/// Token endpoint authentication follows the registration: `client_secret_basic` (form-encoded
/// id and secret in Basic, nothing in the body) and `client_secret_post`.
#[tokio::test]
async fn client_secret_basic_and_post_as_the_server_supports() {
    let (_auth, rs, log) = pair(
        AsConfig { auth_methods: vec!["client_secret_basic"], ..AsConfig::default() },
        RsConfig::default(),
    )
    .await;
    assert_eq!(call(&client(&rs), &rs.mcp_url()).await.unwrap(), 200);
    assert_eq!(
        at(&log, "/register")[0].json.as_ref().unwrap()["token_endpoint_auth_method"],
        "client_secret_basic"
    );
    let token = &at(&log, "/token")[0];
    let expected = base64::engine::general_purpose::STANDARD.encode("as1-client-1:secret+1%3A%C3%A9");
    assert_eq!(token.authorization.as_deref(), Some(format!("Basic {expected}").as_str()));
    assert_eq!(token.f("client_id"), None);
    assert_eq!(token.f("client_secret"), None);

    let (_auth, rs, log) = pair(
        AsConfig { auth_methods: vec!["client_secret_post"], ..AsConfig::default() },
        RsConfig::default(),
    )
    .await;
    assert_eq!(call(&client(&rs), &rs.mcp_url()).await.unwrap(), 200);
    let token = &at(&log, "/token")[0];
    assert_eq!(token.authorization, None);
    assert_eq!(token.f("client_id"), Some("as1-client-1"));
    assert_eq!(token.f("client_secret"), Some("secret 1:é"));
}

/// Pre-registered credentials come first and need no registration endpoint; they are bound to
/// the first issuer and never shown to another.
#[tokio::test]
async fn pre_registered_credentials_are_used_and_bound_to_their_issuer() {
    let (_auth, rs, log) = pair(
        AsConfig { registration: false, auth_methods: vec!["client_secret_basic"], ..AsConfig::default() },
        RsConfig::default(),
    )
    .await;
    let oauth = OAuthClient::builder(rs.mcp_url())
        .pre_registered(ClientCredentials::new("pre-registered-client").secret("pre-registered-secret"))
        .build(HeadlessBrowser::new(REDIRECT))
        .unwrap();
    assert_eq!(call(&oauth, &rs.mcp_url()).await.unwrap(), 200);
    assert!(at(&log, "/register").is_empty());
    let basic =
        base64::engine::general_purpose::STANDARD.encode("pre-registered-client:pre-registered-secret");
    assert_eq!(at(&log, "/token")[0].authorization.as_deref(), Some(format!("Basic {basic}").as_str()));

    // The server moves to another authorization server: the credentials are not presented.
    let other = AuthServer::start("as2", AsConfig::default(), rs.log(), rs.issued()).await;
    rs.configure(|c| c.authorization_servers = vec![other.issuer()]);
    rs.revoke(&oauth.tokens().await.unwrap().unwrap().access_token);
    let error = call(&oauth, &rs.mcp_url()).await.expect_err("refused");
    assert!(matches!(oauth_error(&error), OAuthError::PreRegisteredElsewhere { .. }), "{error}");
    assert!(requests(&log, "as2").iter().all(|r| !r.contains("authorize") && !r.contains("token")));
}

/// Client ID metadata documents: when the server advertises them, the document URL is the
/// `client_id` and nothing is registered.
#[tokio::test]
async fn client_id_metadata_document_when_supported() {
    let (_auth, rs, log) = pair(AsConfig { cimd: true, ..AsConfig::default() }, RsConfig::default()).await;
    let oauth = OAuthClient::builder(rs.mcp_url())
        .client_metadata_url("https://client.example.com/oauth/client.json")
        .build(HeadlessBrowser::new(REDIRECT))
        .unwrap();
    assert_eq!(call(&oauth, &rs.mcp_url()).await.unwrap(), 200);
    assert!(at(&log, "/register").is_empty());
    assert_eq!(
        at(&log, "/authorize")[0].q("client_id"),
        Some("https://client.example.com/oauth/client.json")
    );
    assert_eq!(at(&log, "/token")[0].f("client_id"), Some("https://client.example.com/oauth/client.json"));

    // Without the advertisement, the same client falls back to dynamic registration.
    let (_auth, rs, log) = pair(AsConfig::default(), RsConfig::default()).await;
    let oauth = OAuthClient::builder(rs.mcp_url())
        .client_metadata_url("https://client.example.com/oauth/client.json")
        .build(HeadlessBrowser::new(REDIRECT))
        .unwrap();
    assert_eq!(call(&oauth, &rs.mcp_url()).await.unwrap(), 200);
    assert_eq!(at(&log, "/register").len(), 1);
}

/// 2026-07-28 "Authorization Response Validation" (RFC 9207): the table's four rows, and the
/// simple string comparison (no trailing-slash normalisation). A rejected response never
/// reaches the token endpoint.
#[tokio::test]
async fn iss_in_the_authorization_response_is_checked_by_the_table() {
    for (supported, mode, accepted) in [
        (Some(true), IssMode::Correct, true),
        (Some(true), IssMode::Omit, false),
        (None, IssMode::Correct, true),
        (None, IssMode::Omit, true),
        (Some(true), IssMode::Wrong, false),
        (None, IssMode::Wrong, false),
        (Some(true), IssMode::Normalized, false),
    ] {
        let (_auth, rs, log) = pair(
            AsConfig { iss_supported: supported, iss_mode: mode, ..AsConfig::default() },
            RsConfig::default(),
        )
        .await;
        let outcome = call(&client(&rs), &rs.mcp_url()).await;
        assert_eq!(outcome.is_ok(), accepted, "{supported:?} {mode:?}: {outcome:?}");
        assert_eq!(at(&log, "/token").len(), usize::from(accepted), "{supported:?} {mode:?}");
        if let Err(error) = outcome {
            assert!(matches!(oauth_error(&error), OAuthError::ResponseIssuerMismatch { .. }), "{error}");
        }
    }
}

/// RFC 8414 section 3.3: a metadata document whose `issuer` is not the one the URL was built
/// from is not used (none of its endpoints is called).
#[tokio::test]
async fn metadata_with_another_issuer_is_not_used() {
    let (_auth, rs, log) = pair(
        AsConfig { issuer_override: Some("https://attacker.example.com".into()), ..AsConfig::default() },
        RsConfig::default(),
    )
    .await;
    let error = call(&client(&rs), &rs.mcp_url()).await.expect_err("refused");
    assert!(matches!(oauth_error(&error), OAuthError::IssuerMismatch { .. }), "{error}");
    assert_eq!(
        requests(&log, "as1"),
        vec!["GET /.well-known/oauth-authorization-server", "GET /.well-known/openid-configuration"]
    );
}

/// "Authorization Code Protection": no `code_challenge_methods_supported` (or no S256 in it)
/// and the client refuses to proceed, before registering.
#[tokio::test]
async fn an_authorization_server_without_s256_is_refused() {
    for methods in [None, Some(vec!["plain"])] {
        let (_auth, rs, log) = pair(
            AsConfig { code_challenge_methods: methods.clone(), ..AsConfig::default() },
            RsConfig::default(),
        )
        .await;
        let error = call(&client(&rs), &rs.mcp_url()).await.expect_err("refused");
        assert!(matches!(oauth_error(&error), OAuthError::PkceUnsupported { .. }), "{methods:?}: {error}");
        assert_eq!(requests(&log, "as1"), vec!["GET /.well-known/oauth-authorization-server"]);
    }
}

/// 2026-07-28 (RFC 8707, RFC 9728): metadata naming another resource stops everything
/// before the authorization server is contacted.
#[tokio::test]
async fn metadata_for_another_resource_is_refused() {
    let (_auth, rs, log) = pair(
        AsConfig::default(),
        RsConfig { resource_override: Some("https://evil.example.com/mcp".into()), ..RsConfig::default() },
    )
    .await;
    let error = call(&client(&rs), &rs.mcp_url()).await.expect_err("refused");
    assert!(matches!(oauth_error(&error), OAuthError::ResourceMismatch { .. }), "{error}");
    assert!(requests(&log, "as1").is_empty());
}

/// "Open Redirection": a response whose `state` is not the one sent is discarded; the code
/// is never exchanged.
#[tokio::test]
async fn a_response_with_another_state_is_discarded() {
    let (_auth, rs, log) = pair(AsConfig::default(), RsConfig::default()).await;
    let headless = HeadlessBrowser::new(REDIRECT);
    let tampering = AuthorizationCallback::new(REDIRECT, move |request| {
        let headless = headless.clone();
        async move {
            use mcp_connector_transport::client::oauth::AuthorizationHandler;
            let answer = headless.authorize(&request).await?;
            let url = format!(
                "{REDIRECT}?code={}&state=forged&iss={}",
                answer.code.unwrap_or_default(),
                answer.iss.unwrap_or_default()
            );
            Ok(url)
        }
    });
    let oauth = OAuthClient::builder(rs.mcp_url()).build(tampering).unwrap();
    let error = call(&oauth, &rs.mcp_url()).await.expect_err("refused");
    assert!(matches!(oauth_error(&error), OAuthError::StateMismatch), "{error}");
    assert!(at(&log, "/token").is_empty());
}

/// 2026-07-28 "Authorization Server Binding": when the metadata switches to a new
/// authorization server, the client re-registers there and never presents the old server's
/// client id or tokens.
#[tokio::test]
async fn a_new_authorization_server_gets_a_new_registration() {
    let (_auth, rs, log) = pair(AsConfig::default(), RsConfig::default()).await;
    let oauth = client(&rs);
    assert_eq!(call(&oauth, &rs.mcp_url()).await.unwrap(), 200);
    let as2 = AuthServer::start("as2", AsConfig::default(), rs.log(), rs.issued()).await;
    rs.configure(|c| c.authorization_servers = vec![as2.issuer()]);
    rs.revoke(&oauth.tokens().await.unwrap().unwrap().access_token);
    assert_eq!(call(&oauth, &rs.mcp_url()).await.unwrap(), 200);
    assert_eq!(
        requests(&log, "as2"),
        vec![
            "GET /.well-known/oauth-authorization-server",
            "POST /register",
            "GET /authorize",
            "POST /token"
        ],
        "no refresh at the new server with the old server's refresh token"
    );
    let seen_at_as2: Vec<Seen> = log.lock().unwrap().iter().filter(|s| s.server == "as2").cloned().collect();
    assert!(
        seen_at_as2
            .iter()
            .all(|s| s.q("client_id") != Some("as1-client-1") && s.f("client_id") != Some("as1-client-1"))
    );
    assert!(seen_at_as2.iter().all(|s| s.f("refresh_token").is_none()));
    assert_eq!(oauth.tokens().await.unwrap().unwrap().issuer, as2.issuer());
}

/// An authorization server on plain HTTP is refused unless it is loopback (or the
/// application allows it explicitly).
#[tokio::test]
async fn plain_http_is_refused_beyond_loopback() {
    let (_auth, rs, log) = pair(AsConfig::default(), RsConfig::default()).await;
    rs.configure(|c| c.authorization_servers = vec!["http://as.example.invalid".into()]);
    let error = call(&client(&rs), &rs.mcp_url()).await.expect_err("refused");
    assert!(matches!(oauth_error(&error), OAuthError::InsecureUrl(_)), "{error}");
    assert!(requests(&log, "as1").is_empty());
}

/// The loopback redirect of a native app: the "browser" (here a plain HTTP client following
/// redirects) lands on `http://127.0.0.1:PORT/callback`, the listener answers it with a page
/// and hands the parameters to the client, which completes the flow.
#[tokio::test]
async fn a_loopback_listener_receives_the_redirect() {
    let (_auth, rs, log) = pair(AsConfig::default(), RsConfig::default()).await;
    let browser = LoopbackBrowser::bind("/callback", |request| {
        let url = request.url.clone();
        tokio::spawn(async move {
            let page = reqwest::get(url).await.expect("the browser reaches the listener");
            assert_eq!(page.status(), 200);
            assert!(page.text().await.unwrap().contains("close this window"));
        });
        Ok(())
    })
    .await
    .unwrap();
    let redirect_uri = mcp_connector_transport::client::oauth::AuthorizationHandler::redirect_uri(&browser);
    assert!(redirect_uri.starts_with("http://127.0.0.1:") && redirect_uri.ends_with("/callback"));
    let oauth = OAuthClient::builder(rs.mcp_url()).build(browser).unwrap();
    assert_eq!(call(&oauth, &rs.mcp_url()).await.unwrap(), 200);
    assert_eq!(at(&log, "/authorize")[0].q("redirect_uri"), Some(redirect_uri.as_str()));
    assert_eq!(at(&log, "/token")[0].f("redirect_uri"), Some(redirect_uri.as_str()));
}

/// The client credentials grant (the `oauth-client-credentials` extension): discovery as
/// usual, then one token request with `grant_type=client_credentials`, Basic client
/// authentication, the `resource` and the challenged scope; no authorization request, no
/// registration. A token due for renewal is replaced by a new grant before the request.
#[tokio::test]
async fn client_credentials_grant_for_services() {
    let (_auth, rs, log) = pair(
        AsConfig {
            registration: false,
            auth_methods: vec!["client_secret_basic"],
            expires_in: 30,
            ..AsConfig::default()
        },
        RsConfig { required: vec!["mcp:read"], scope_in_header: true, ..RsConfig::default() },
    )
    .await;
    let oauth = OAuthClient::builder(rs.mcp_url())
        .client_credentials(ClientCredentials::new("gateway").secret("gateway secret"))
        .build_unattended()
        .unwrap();
    assert_eq!(call(&oauth, &rs.mcp_url()).await.unwrap(), 200);
    assert!(at(&log, "/authorize").is_empty() && at(&log, "/register").is_empty());
    let token = &at(&log, "/token")[0];
    assert_eq!(token.f("grant_type"), Some("client_credentials"));
    assert_eq!(token.f("resource"), Some(rs.mcp_url().as_str()));
    assert_eq!(token.f("scope"), Some("mcp:read"));
    let basic = base64::engine::general_purpose::STANDARD.encode("gateway:gateway+secret");
    assert_eq!(token.authorization.as_deref(), Some(format!("Basic {basic}").as_str()));

    // With a 60 s margin the 30 s token is due at once: the next header comes from a new grant.
    let before = oauth.tokens().await.unwrap().unwrap();
    let oauth_due = OAuthClient::builder(rs.mcp_url())
        .client_credentials(ClientCredentials::new("gateway").secret("gateway secret"))
        .refresh_margin(Duration::from_secs(60))
        .build_unattended()
        .unwrap();
    assert_eq!(call(&oauth_due, &rs.mcp_url()).await.unwrap(), 200);
    let grants = at(&log, "/token").len();
    let header = oauth_due.authorization().await.unwrap().unwrap();
    assert_eq!(at(&log, "/token").len(), grants + 1, "a new grant, not a 401 first");
    assert_ne!(header, format!("Bearer {}", before.access_token));
    assert_eq!(requests(&log, "rs").iter().filter(|r| r.as_str() == "POST /mcp").count(), 4);
}

/// An authorization server outage during a refresh loses nothing: a token that is still valid
/// keeps being sent (and accepted); once it has expired, the request fails with the outage's
/// error instead of sending a dead token.
#[tokio::test]
async fn a_refresh_outage_keeps_a_valid_token_and_reports_an_expired_one() {
    let (auth, rs, _log) =
        pair(AsConfig { expires_in: 30, ..AsConfig::default() }, RsConfig::default()).await;
    let oauth = OAuthClient::builder(rs.mcp_url())
        .refresh_margin(Duration::from_secs(60))
        .build(HeadlessBrowser::new(REDIRECT))
        .unwrap();
    assert_eq!(call(&oauth, &rs.mcp_url()).await.unwrap(), 200);
    let held = oauth.tokens().await.unwrap().unwrap();
    auth.configure(|c| c.token_endpoint_down = true);
    assert_eq!(oauth.authorization().await.unwrap(), Some(format!("Bearer {}", held.access_token)));
    assert_eq!(call(&oauth, &rs.mcp_url()).await.unwrap(), 200);

    let (auth, rs, _log) = pair(AsConfig { expires_in: 0, ..AsConfig::default() }, RsConfig::default()).await;
    let oauth = client(&rs);
    assert_eq!(call(&oauth, &rs.mcp_url()).await.unwrap(), 200);
    auth.configure(|c| c.token_endpoint_down = true);
    let error = oauth.authorization().await.expect_err("expired and not refreshable");
    assert!(matches!(oauth_error(&error), OAuthError::Status { status: 503, .. }), "{error}");
    assert!(oauth.tokens().await.unwrap().is_some(), "the refresh token is kept for when the server is back");
}

/// Two requests refused at the same time start one authorization, not two: the second
/// challenge waits for the first and retries with its token.
#[tokio::test]
async fn concurrent_refusals_share_one_authorization() {
    use mcp_connector_transport::client::Challenge;
    use mcp_connector_transport::client::oauth::AuthorizationHandler;
    use std::sync::Arc;

    let (_auth, rs, log) = pair(AsConfig::default(), RsConfig::default()).await;
    // The user "takes their time" until the test lets the first authorization finish.
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let headless = HeadlessBrowser::new(REDIRECT);
    let handler_gate = gate.clone();
    let slow_user = AuthorizationCallback::new(REDIRECT, move |request| {
        let (gate, headless) = (handler_gate.clone(), headless.clone());
        async move {
            gate.acquire().await?.forget();
            let answer = headless.authorize(&request).await?;
            Ok(format!(
                "{REDIRECT}?code={}&state={}&iss={}",
                urlencode(&answer.code.unwrap_or_default()),
                urlencode(&answer.state.unwrap_or_default()),
                urlencode(&answer.iss.unwrap_or_default())
            ))
        }
    });
    let oauth = Arc::new(OAuthClient::builder(rs.mcp_url()).build(slow_user).unwrap());
    let www = vec![format!(
        "Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
        rs.origin()
    )];
    let first = tokio::spawn({
        let (oauth, url, www) = (oauth.clone(), rs.mcp_url(), www.clone());
        async move { oauth.challenge(&Challenge::refusal(url, 401, www)).await.map_err(|e| e.to_string()) }
    });
    // Let the first challenge reach the (gated) authorization step, then start the second.
    while log.lock().unwrap().iter().all(|s| !s.path.ends_with("/.well-known/oauth-authorization-server")) {
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let second = tokio::spawn({
        let (oauth, url) = (oauth.clone(), rs.mcp_url());
        async move { oauth.challenge(&Challenge::refusal(url, 401, www)).await.map_err(|e| e.to_string()) }
    });
    // The second challenge runs until it waits for the first one's lock.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    gate.add_permits(1);
    assert_eq!(first.await.unwrap(), Ok(()));
    assert_eq!(second.await.unwrap(), Ok(()), "the second challenge reuses the first one's tokens");
    assert_eq!(at(&log, "/authorize").len(), 1);
    assert_eq!(at(&log, "/token").len(), 1, "no refresh either: the new token is simply used");
    assert_eq!(call(oauth.as_ref(), &rs.mcp_url()).await.unwrap(), 200);
}

/// `private_key_jwt` (RFC 7523) with the client credentials grant: the token request carries
/// a JWT assertion signed with the client's key, naming the client as `iss` and `sub` and the
/// issuer as `aud`, short-lived, with a `jti`; no secret anywhere.
#[tokio::test]
async fn private_key_jwt_client_assertion() {
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation, jwk::Jwk};
    let pem = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/auth_support/keys/ec.pem"))
        .unwrap();
    let (auth, rs, log) = pair(
        AsConfig { registration: false, auth_methods: vec!["private_key_jwt"], ..AsConfig::default() },
        RsConfig::default(),
    )
    .await;
    let oauth = OAuthClient::builder(rs.mcp_url())
        .client_credentials(ClientCredentials::new("svc-1").private_key_jwt(pem.clone(), "ES256"))
        .build_unattended()
        .unwrap();
    assert_eq!(call(&oauth, &rs.mcp_url()).await.unwrap(), 200);
    let token = &at(&log, "/token")[0];
    assert_eq!(token.authorization, None);
    assert_eq!(token.f("client_secret"), None);
    assert_eq!(token.f("client_id"), Some("svc-1"));
    assert_eq!(
        token.f("client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    let public =
        Jwk::from_encoding_key(&EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(), Algorithm::ES256).unwrap();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[auth.issuer()]);
    validation.set_issuer(&["svc-1"]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(
        token.f("client_assertion").unwrap(),
        &DecodingKey::from_jwk(&public).unwrap(),
        &validation,
    )
    .expect("a valid assertion signed with the client's key")
    .claims;
    assert_eq!(claims["sub"], "svc-1");
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 32));
    assert!(claims["exp"].as_u64().unwrap() <= claims["iat"].as_u64().unwrap() + 60);

    // A key that is not a key: a clear error, no request with a broken assertion.
    let broken = OAuthClient::builder(rs.mcp_url())
        .client_credentials(ClientCredentials::new("svc-2").private_key_jwt("not a pem", "ES256"))
        .build_unattended()
        .unwrap();
    let error = call(&broken, &rs.mcp_url()).await.expect_err("refused");
    assert!(error.to_string().contains("private key"), "{error}");
    assert_eq!(at(&log, "/token").len(), 1);
}
