//! Token verification that survives its issuer, over real sockets: JWKS fetched once for many
//! concurrent requests, failures remembered with backoff, the last good keys used through an
//! outage up to a bound, the issuer coming back; a key's `use` and `alg` respected; `typ:
//! at+jwt` when asked; the introspection cache (counted at the endpoint), credentials
//! URL-encoded, `exp`, `nbf` and `iss` checked.
#![cfg(feature = "auth")]

mod auth_support;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use auth_support::*;
use mcp_connector_transport::auth::{Auth, IntrospectionVerifier, JwtVerifier};
use mcp_connector_transport::http::HttpTransport;
use serde_json::{Value, json};

/// A connector that verifies JWTs from `issuer` with `configure` applied to its verifier. The
/// cache of verified tokens is off unless `configure` turns it on: these tests are about how
/// keys are fetched, which a cached verification skips.
async fn jwt_server(issuer: &Issuer, configure: impl FnOnce(JwtVerifier) -> JwtVerifier) -> String {
    let (listener, base) = listener().await;
    let resource = format!("{base}/mcp");
    let verifier = configure(JwtVerifier::new(&issuer.url, &resource).verified_cache_ttl(Duration::ZERO));
    serve_on(listener, HttpTransport::new(server()).auth(Auth::required(&resource, verifier)).router());
    resource
}

async fn status(resource: &str, token: &str) -> u16 {
    rpc(resource, Some(token), list_tools()).await.status().as_u16()
}

fn fetches(issuer: &Issuer) -> usize {
    issuer.jwks_fetches.load(Ordering::SeqCst)
}

#[tokio::test]
async fn concurrent_requests_on_a_cold_cache_fetch_the_keys_once() {
    let issuer = Issuer::start(&[SigningKey::ec()]).await;
    issuer.jwks_delay_ms.store(300, Ordering::SeqCst);
    let resource = jwt_server(&issuer, |v| v).await;
    let token = SigningKey::ec().sign(&claims(&issuer.url, &resource, ""));
    let calls = (0..20).map(|_| {
        let (resource, token) = (resource.clone(), token.clone());
        tokio::spawn(async move { status(&resource, &token).await })
    });
    for call in calls.collect::<Vec<_>>() {
        assert_eq!(call.await.expect("task"), 200);
    }
    assert_eq!(fetches(&issuer), 1, "single flight: one fetch for twenty requests");
}

#[tokio::test]
async fn an_issuer_outage_is_ridden_out_with_the_last_good_keys_and_failures_back_off() {
    let issuer = Issuer::start(&[SigningKey::ec()]).await;
    let resource = jwt_server(&issuer, |v| {
        v.max_key_age(Duration::from_millis(200)).min_refresh_interval(Duration::ZERO)
    })
    .await;
    let token = SigningKey::ec().sign(&claims(&issuer.url, &resource, ""));
    assert_eq!(status(&resource, &token).await, 200);
    assert_eq!(fetches(&issuer), 1);

    // The issuer goes down (and hangs for 2 s before failing), and the keys age past
    // max_key_age: requests are still served at once with the last good keys while one
    // background attempt fails; then no more attempts while backing off.
    issuer.down.store(true, Ordering::SeqCst);
    issuer.jwks_delay_ms.store(2000, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(250)).await;
    let outage = Instant::now();
    for _ in 0..10 {
        let started = Instant::now();
        assert_eq!(status(&resource, &token).await, 200);
        assert!(started.elapsed() < Duration::from_millis(1500), "a request waited for the issuer");
    }
    assert_eq!(fetches(&issuer), 2, "one attempt during the outage, not one per request");
    // That attempt fails 2 s after it started (the issuer hangs first); then 1 s of backoff.
    tokio::time::sleep_until((outage + Duration::from_millis(2100)).into()).await;
    // The backoff after this first failure is 1 s: a few requests within it fetch nothing.
    for _ in 0..3 {
        assert_eq!(status(&resource, &token).await, 200);
    }
    assert_eq!(fetches(&issuer), 2, "failures are remembered: no fetch while backing off");

    // The issuer comes back; after the backoff (1 s after the first failure) keys are fetched again.
    issuer.down.store(false, Ordering::SeqCst);
    issuer.jwks_delay_ms.store(0, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(status(&resource, &token).await, 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    while fetches(&issuer) < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(fetches(&issuer), 3, "fetched again once the backoff ended");
    // And rotated keys are picked up as usual.
    issuer.publish(&SigningKey::ec_rotated());
    let rotated = SigningKey::ec_rotated().sign(&claims(&issuer.url, &resource, ""));
    assert_eq!(status(&resource, &rotated).await, 200);
}

#[tokio::test]
async fn past_the_stale_bound_or_with_no_keys_at_all_requests_get_503_at_once() {
    let issuer = Issuer::start(&[SigningKey::ec()]).await;
    let resource = jwt_server(&issuer, |v| {
        v.max_key_age(Duration::from_millis(100))
            .max_stale_key_age(Duration::from_millis(400))
            .min_refresh_interval(Duration::ZERO)
    })
    .await;
    let token = SigningKey::ec().sign(&claims(&issuer.url, &resource, ""));
    assert_eq!(status(&resource, &token).await, 200);
    issuer.down.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let response = rpc(&resource, Some(&token), list_tools()).await;
    assert_eq!(response.status(), 503, "the last good keys are too old to trust");
    assert_eq!(response.headers()["retry-after"], "5");
    let before = fetches(&issuer);
    let started = Instant::now();
    assert_eq!(status(&resource, &token).await, 503);
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(fetches(&issuer), before, "no fetch while backing off");

    // A cold cache with the issuer down: 503, and the next request does not try again at once.
    let cold = Issuer::start(&[SigningKey::ec()]).await;
    cold.down.store(true, Ordering::SeqCst);
    let resource = jwt_server(&cold, |v| v).await;
    let token = SigningKey::ec().sign(&claims(&cold.url, &resource, ""));
    assert_eq!(status(&resource, &token).await, 503);
    assert_eq!(status(&resource, &token).await, 503);
    // Discovery failed (the metadata is down too), so the JWKS was never reached.
    assert_eq!(fetches(&cold), 0);
}

#[tokio::test]
async fn a_key_is_used_only_for_signatures_and_only_with_its_own_algorithm() {
    // RFC 7517, 4.2 (`use`) and 4.4 (`alg`).
    let issuer = Issuer::start(&[]).await;
    let mut encryption = SigningKey::ec().jwk();
    encryption.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Encryption);
    let mut other_alg = SigningKey::ec_rotated().jwk();
    other_alg.common.key_algorithm = Some(jsonwebtoken::jwk::KeyAlgorithm::ES384);
    *issuer.keys.lock().expect("lock") = vec![encryption, other_alg];
    let resource = jwt_server(&issuer, |v| v).await;
    for key in [SigningKey::ec(), SigningKey::ec_rotated()] {
        let token = key.sign(&claims(&issuer.url, &resource, ""));
        let response = rpc(&resource, Some(&token), list_tools()).await;
        assert_eq!(response.status(), 401, "{}", key.kid);
        let challenge = www_authenticate(&response);
        assert!(
            param(&challenge, "error_description").unwrap_or_default().contains("does not publish"),
            "{challenge}"
        );
    }
    // The same keys published for signing with ES256 are fine.
    *issuer.keys.lock().expect("lock") = vec![SigningKey::ec().jwk()];
    let resource = jwt_server(&issuer, |v| v).await;
    let token = SigningKey::ec().sign(&claims(&issuer.url, &resource, ""));
    assert_eq!(status(&resource, &token).await, 200);
}

#[tokio::test]
async fn typ_at_jwt_is_enforced_when_asked() {
    // RFC 9068, section 4: resource servers MUST verify that `typ` is `at+jwt`.
    let issuer = Issuer::start(&[SigningKey::ec()]).await;
    let strict = jwt_server(&issuer, |v| v.require_at_jwt(true)).await;
    let lenient = jwt_server(&issuer, |v| v).await;
    let key = SigningKey::ec();
    let id_token_like = |resource: &str| {
        let mut header = jsonwebtoken::Header::new(key.alg);
        header.kid = Some(key.kid.clone());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, &claims(&issuer.url, resource, ""), &key.encoding).expect("signed")
    };
    assert_eq!(status(&strict, &key.sign(&claims(&issuer.url, &strict, ""))).await, 200);
    let refused = rpc(&strict, Some(&id_token_like(&strict)), list_tools()).await;
    assert_eq!(refused.status(), 401);
    assert!(www_authenticate(&refused).contains("at+jwt"));
    assert_eq!(status(&lenient, &id_token_like(&lenient)).await, 200);
}

/// A connector verifying opaque tokens at `issuer`'s introspection endpoint.
async fn introspecting_server(
    issuer: &Issuer,
    configure: impl FnOnce(IntrospectionVerifier) -> IntrospectionVerifier,
) -> String {
    let (listener, base) = listener().await;
    let resource = format!("{base}/mcp");
    let verifier = configure(IntrospectionVerifier::new(format!("{}/introspect", issuer.url), &resource));
    serve_on(listener, HttpTransport::new(server()).auth(Auth::required(&resource, verifier)).router());
    resource
}

fn active(issuer: &Issuer, resource: &str, exp: u64) -> Value {
    json!({"active": true, "sub": "carol", "aud": resource, "iss": issuer.url, "exp": exp})
}

fn introspections(issuer: &Issuer) -> usize {
    issuer.introspections.load(Ordering::SeqCst)
}

#[tokio::test]
async fn introspection_answers_are_cached_by_token_for_a_short_ttl_never_past_exp() {
    let issuer = Issuer::start(&[]).await;
    let resource = introspecting_server(&issuer, |v| v.leeway(Duration::ZERO)).await;
    issuer
        .introspection
        .lock()
        .expect("lock")
        .insert("opaque-1".into(), active(&issuer, &resource, now() + 600));
    for _ in 0..5 {
        assert_eq!(status(&resource, "opaque-1").await, 200);
    }
    assert_eq!(introspections(&issuer), 1, "one round trip for five requests");

    // A token that expires in 2 s is not served from the cache past its `exp`: the endpoint is
    // asked again, and its (stale) answer is refused.
    issuer
        .introspection
        .lock()
        .expect("lock")
        .insert("short-lived".into(), active(&issuer, &resource, now() + 2));
    assert_eq!(status(&resource, "short-lived").await, 200);
    assert_eq!(introspections(&issuer), 2);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(status(&resource, "short-lived").await, 401);
    assert_eq!(introspections(&issuer), 3);

    // A refusal is reused for a few seconds too: a client replaying a bad token costs the
    // issuer one call, not one per request.
    for _ in 0..5 {
        assert_eq!(status(&resource, "unknown").await, 401);
    }
    assert_eq!(introspections(&issuer), 4, "one round trip for five refusals");
    // And only for a few seconds: a token the endpoint comes to know is accepted after that.
    issuer
        .introspection
        .lock()
        .expect("lock")
        .insert("unknown".into(), active(&issuer, &resource, now() + 600));
    tokio::time::sleep(mcp_connector_transport::auth::REFUSAL_TTL + Duration::from_millis(200)).await;
    assert_eq!(status(&resource, "unknown").await, 200);
    assert_eq!(introspections(&issuer), 5);
}

#[tokio::test]
async fn a_zero_ttl_turns_the_introspection_cache_off() {
    let issuer = Issuer::start(&[]).await;
    let resource = introspecting_server(&issuer, |v| v.cache_ttl(Duration::ZERO)).await;
    issuer
        .introspection
        .lock()
        .expect("lock")
        .insert("opaque".into(), active(&issuer, &resource, now() + 600));
    for _ in 0..3 {
        assert_eq!(status(&resource, "opaque").await, 200);
    }
    assert_eq!(introspections(&issuer), 3);
}

#[tokio::test]
async fn introspection_client_credentials_are_form_url_encoded_before_basic() {
    // RFC 6749, section 2.3.1: the client id and secret are encoded with the
    // application/x-www-form-urlencoded algorithm, then used as the Basic user and password.
    use base64::Engine;
    let issuer = Issuer::start(&[]).await;
    let resource = introspecting_server(&issuer, |v| v.client_credentials("mcp server", "p@ss:w%rd/é")).await;
    issuer
        .introspection
        .lock()
        .expect("lock")
        .insert("opaque".into(), active(&issuer, &resource, now() + 600));
    assert_eq!(status(&resource, "opaque").await, 200);
    let sent = issuer.introspection_auth.lock().expect("lock").clone();
    let expected = base64::engine::general_purpose::STANDARD.encode("mcp+server:p%40ss%3Aw%25rd%2F%C3%A9");
    assert_eq!(sent, vec![format!("Basic {expected}")]);
}

#[tokio::test]
async fn introspection_answers_without_exp_with_a_future_nbf_or_from_another_issuer_are_refused() {
    let issuer = Issuer::start(&[]).await;
    let resource = introspecting_server(&issuer, |v| v.issuer(&issuer.url)).await;
    {
        let mut table = issuer.introspection.lock().expect("lock");
        let mut no_exp = active(&issuer, &resource, 0);
        no_exp.as_object_mut().expect("object").remove("exp");
        table.insert("no-exp".into(), no_exp);
        let mut later = active(&issuer, &resource, now() + 600);
        later["nbf"] = json!(now() + 300);
        table.insert("not-yet".into(), later);
        let mut foreign = active(&issuer, &resource, now() + 600);
        foreign["iss"] = json!("https://evil.example.com");
        table.insert("foreign".into(), foreign);
        table.insert("fine".into(), active(&issuer, &resource, now() + 600));
    }
    for (token, why) in [("no-exp", "exp"), ("not-yet", "nbf"), ("foreign", "issuer")] {
        let response = rpc(&resource, Some(token), list_tools()).await;
        assert_eq!(response.status(), 401, "{token}");
        let challenge = www_authenticate(&response);
        assert!(
            param(&challenge, "error_description").unwrap_or_default().contains(why),
            "{token}: {challenge}"
        );
    }
    assert_eq!(status(&resource, "fine").await, 200);
}

#[tokio::test]
async fn an_https_issuer_works_out_of_the_box_and_its_certificate_is_checked() {
    // The `auth` feature brings a TLS backend: a JwtVerifier fetches from an HTTPS issuer
    // with the client it makes itself, and that client checks certificates (a CA it does not
    // trust is refused, so the request is answered 503, not let through). A client that trusts
    // the test CA, passed with `http_client`, verifies tokens from it.
    let (issuer, ca_pem) = Issuer::start_tls(&[SigningKey::ec()]).await;
    assert!(issuer.url.starts_with("https://"));

    let untrusting = jwt_server(&issuer, |v| v.fetch_timeout(Duration::from_secs(5))).await;
    let token = SigningKey::ec().sign(&claims(&issuer.url, &untrusting, ""));
    assert_eq!(status(&untrusting, &token).await, 503, "an unknown CA is not trusted");
    assert_eq!(fetches(&issuer), 0);

    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("CA PEM"))
        .build()
        .expect("client");
    let trusting = jwt_server(&issuer, move |v| v.http_client(client)).await;
    let token = SigningKey::ec().sign(&claims(&issuer.url, &trusting, "tickets:write"));
    let response = rpc(&trusting, Some(&token), call("whoami", json!({}))).await;
    assert_eq!(result(response).await["content"][0]["text"], "alice|chatgpt|tickets:write");
    assert_eq!(fetches(&issuer), 1);
}

#[tokio::test]
async fn a_verified_token_is_trusted_again_for_the_cache_ttl_and_no_longer() {
    let issuer = Issuer::start(&[SigningKey::ec()]).await;
    let cached = jwt_server(&issuer, |v| {
        v.verified_cache_ttl(Duration::from_secs(60))
            .max_key_age(Duration::from_millis(100))
            .min_refresh_interval(Duration::ZERO)
    })
    .await;
    let uncached = jwt_server(&issuer, |v| {
        v.max_key_age(Duration::from_millis(100)).min_refresh_interval(Duration::ZERO)
    })
    .await;
    let token = SigningKey::ec().sign(&claims(&issuer.url, &cached, ""));
    let other = SigningKey::ec().sign(&claims(&issuer.url, &uncached, ""));
    assert_eq!(status(&cached, &token).await, 200);
    assert_eq!(status(&uncached, &other).await, 200);
    // The issuer withdraws the key.
    issuer.keys.lock().expect("lock").clear();
    tokio::time::sleep(Duration::from_millis(150)).await;
    // The token verified a moment ago is trusted from the cache: no signature check, no fetch.
    let before = fetches(&issuer);
    assert_eq!(status(&cached, &token).await, 200);
    assert_eq!(fetches(&issuer), before);
    // Without the cache, the withdrawal is noticed once the keys are refreshed (in the
    // background, the stale keys serving meanwhile).
    let deadline = Instant::now() + Duration::from_secs(3);
    while status(&uncached, &other).await != 401 {
        assert!(Instant::now() < deadline, "the withdrawn key is still accepted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(fetches(&issuer) > before);
    // New tokens signed by the withdrawn key are checked in full, and refused in the same way
    // (each one new: one accepted with the stale keys would be cached in turn),
    let deadline = Instant::now() + Duration::from_secs(3);
    for n in 2.. {
        let mut fresh = claims(&issuer.url, &cached, "");
        fresh["jti"] = json!(format!("t{n}"));
        if status(&cached, &SigningKey::ec().sign(&fresh)).await == 401 {
            break;
        }
        assert!(Instant::now() < deadline, "the withdrawn key is still accepted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // while the token verified before the withdrawal is still trusted, for the cache's TTL.
    assert_eq!(status(&cached, &token).await, 200);

    // Never past `exp`: a token expiring in 1 s is verified in full again after it (and, with
    // no leeway, refused).
    let strict =
        jwt_server(&issuer, |v| v.verified_cache_ttl(Duration::from_secs(60)).leeway(Duration::ZERO)).await;
    *issuer.keys.lock().expect("lock") = vec![SigningKey::ec().jwk()];
    let mut short = claims(&issuer.url, &strict, "");
    short["exp"] = json!(now() + 1);
    let short = SigningKey::ec().sign(&short);
    assert_eq!(status(&strict, &short).await, 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(status(&strict, &short).await, 401);
}
