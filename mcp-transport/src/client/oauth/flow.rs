//! The order of things: what a 401, a 403 and an expiring token lead to. Each step lives in
//! its own module (discovery, registration, pkce, tokens, interaction); this one sequences
//! them and keeps the per-server state.

use std::sync::atomic::Ordering;

use reqwest::Url;

use super::challenge::BearerChallenge;
use super::discovery::{self, AuthorizationServerMetadata, ResourceMetadata};
use super::interaction::AuthorizationRequest;
use super::pkce::{Pkce, random_token};
use super::registration::{self, ClientRegistration, RegistrationKind};
use super::tokens::{self, TokenSet};
use super::{FlowState, Grant, OAuthClient, OAuthError};
use crate::client::Challenge;

/// `offline_access`: asks for a refresh token (OpenID Connect Core section 11).
const OFFLINE_ACCESS: &str = "offline_access";

/// How long after a refresh made for a 401 another 401 for that token means "refreshing does
/// not help": a refused token minutes later has more likely been revoked or expired early.
const RECENT_REFRESH: std::time::Duration = std::time::Duration::from_secs(60);

impl OAuthClient {
    /// The header for the next request: the stored access token, refreshed first when it
    /// expires within the margin; `None` when there is no usable token.
    pub(crate) async fn current_authorization(&self) -> Result<Option<String>, OAuthError> {
        let Some(tokens) = self.load_tokens().await? else {
            return Ok(None);
        };
        if !tokens.expires_within(self.refresh_margin) {
            return Ok(Some(bearer(&tokens)));
        }
        let mut state = self.state.lock().await;
        // Another request may have refreshed while this one waited for the lock.
        let Some(tokens) = self.load_tokens().await? else {
            return Ok(None);
        };
        if !tokens.expires_within(self.refresh_margin) {
            return Ok(Some(bearer(&tokens)));
        }
        if tokens.refresh_token.is_none() && self.grant == Grant::ClientCredentials {
            // No user involved: ask for a new token now rather than after a 401.
            if let (Some(resource), Some(server)) = (state.resource.clone(), state.server.clone())
                && server.issuer == tokens.issuer
            {
                let client = self.client_for(&mut state, &server).await?;
                self.client_credentials(
                    &mut state,
                    &resource,
                    &server,
                    &client,
                    tokens.requested_scopes.clone(),
                )
                .await?;
                return Ok(self.load_tokens().await?.as_ref().map(bearer));
            }
        }
        if tokens.refresh_token.is_none() {
            // Expired for good: send nothing, and let the 401 start a new authorization.
            return Ok(if tokens.expires_within(std::time::Duration::ZERO) {
                None
            } else {
                Some(bearer(&tokens))
            });
        }
        match self.refresh(&mut state, &tokens).await {
            Ok(fresh) => Ok(Some(bearer(&fresh))),
            Err(OAuthError::TokenEndpoint { error, .. }) => {
                // The refresh token is spent or revoked: forget it; the 401 that follows
                // starts a new authorization.
                tracing::info!(%error, server = %self.server_url, "refresh refused; the next 401 re-authorizes");
                self.save_tokens(None).await?;
                Ok(None)
            }
            // The authorization server is unreachable: a token that is still valid is better
            // than failing the request; an expired one is not worth sending.
            Err(other) if !tokens.expires_within(std::time::Duration::ZERO) => {
                tracing::warn!(error = %other, server = %self.server_url, "refresh failed; using the token until it expires");
                Ok(Some(bearer(&tokens)))
            }
            Err(other) => Err(other),
        }
    }

    /// Reacts to a refusal: a 401 (re)authorizes, a 403 `insufficient_scope` steps up.
    pub(crate) async fn handle_challenge(&self, challenge: &Challenge) -> Result<(), OAuthError> {
        let seen = self.generation.load(Ordering::SeqCst);
        let mut state = self.state.lock().await;
        if self.generation.load(Ordering::SeqCst) != seen {
            // Another request's challenge obtained new tokens while this one waited.
            return Ok(());
        }
        let bearer = BearerChallenge::parse(&challenge.www_authenticate);
        match challenge.status {
            401 => self.reauthorize(&mut state, bearer.as_ref()).await,
            403 => match bearer {
                Some(b) if b.error.as_deref() == Some("insufficient_scope") => {
                    self.step_up(&mut state, &b).await
                }
                other => Err(OAuthError::Refused {
                    status: 403,
                    detail: other
                        .and_then(|b| b.error_description.or(b.error))
                        .unwrap_or_else(|| "no insufficient_scope challenge".into()),
                }),
            },
            status => Err(OAuthError::Refused { status, detail: "not an authorization challenge".into() }),
        }
    }

    /// A 401: rediscover (the server may have moved to another authorization server), then
    /// refresh when possible, else run the authorization code flow.
    async fn reauthorize(
        &self,
        state: &mut FlowState,
        bearer: Option<&BearerChallenge>,
    ) -> Result<(), OAuthError> {
        let (resource, server) = self.discover(state, bearer).await?;
        let mut previous_scopes = Vec::new();
        if let Some(tokens) = self.load_tokens().await? {
            if tokens.issuer != server.issuer {
                // Tokens from another authorization server must never reach this server
                // again (2026-07-28, "Authorization Server Binding").
                self.save_tokens(None).await?;
            } else {
                previous_scopes = tokens.requested_scopes.clone();
                // A token refreshed for a 401 and refused again at once will not be fixed by
                // another refresh: authorize anew then.
                let just_refreshed = state.refreshed_for_401.as_ref().is_some_and(|(token, at)| {
                    *token == tokens.access_token && at.elapsed() < RECENT_REFRESH
                });
                if tokens.refresh_token.is_some() && !just_refreshed {
                    match self.refresh(state, &tokens).await {
                        Ok(fresh) => {
                            state.refreshed_for_401 = Some((fresh.access_token, std::time::Instant::now()));
                            return Ok(());
                        }
                        Err(error) => tracing::info!(%error, "refresh after a 401 failed; re-authorizing"),
                    }
                }
            }
        }
        // Scope selection (2025-11-25 and 2026-07-28, "Scope Selection Strategy"): the
        // challenge's `scope`, else the metadata's `scopes_supported`, else none; keeping what
        // was asked before from the same authorization server.
        let challenged = bearer.map(BearerChallenge::scopes).unwrap_or_default();
        let mut scopes = if challenged.is_empty() {
            resource.scopes_supported.clone().unwrap_or_default()
        } else {
            challenged
        };
        if !previous_scopes.is_empty() {
            scopes = union(&previous_scopes, &scopes);
        }
        self.authorize(state, &resource, &server, scopes).await
    }

    /// A 403 `insufficient_scope`: re-authorize with the union of the scopes asked before and
    /// the challenged ones (2026-07-28, "Step-Up Authorization Flow"), at most
    /// `max_step_ups` times for the same challenged scopes.
    async fn step_up(&self, state: &mut FlowState, bearer: &BearerChallenge) -> Result<(), OAuthError> {
        let challenged = bearer.scopes();
        let mut key = challenged.clone();
        key.sort();
        let key = key.join(" ");
        let attempts = state.step_ups.get(&key).copied().unwrap_or(0);
        if attempts >= self.max_step_ups {
            return Err(OAuthError::StepUpLimit { scopes: challenged, attempts });
        }
        state.step_ups.insert(key, attempts + 1);
        let (resource, server) = self.discover(state, Some(bearer)).await?;
        let previous = match self.load_tokens().await? {
            Some(tokens) if tokens.issuer == server.issuer => tokens.requested_scopes,
            _ => Vec::new(),
        };
        let scopes = union(&previous, &challenged);
        self.authorize(state, &resource, &server, scopes).await
    }

    /// Protected Resource Metadata, then the first authorization server's metadata (reused
    /// while the resource keeps naming the same issuer).
    async fn discover(
        &self,
        state: &mut FlowState,
        bearer: Option<&BearerChallenge>,
    ) -> Result<(ResourceMetadata, AuthorizationServerMetadata), OAuthError> {
        let resource = discovery::discover_resource(&self.http, &self.server_url, bearer).await?;
        // RFC 9728 section 7.6 leaves the choice to the client: the first one listed.
        let issuer = resource.authorization_servers[0].clone();
        let server = match &state.server {
            Some(known) if known.issuer == issuer => known.clone(),
            _ => {
                discovery::discover_authorization_server(&self.http, &issuer, self.allow_insecure_http)
                    .await?
            }
        };
        state.resource = Some(resource.clone());
        state.server = Some(server.clone());
        Ok((resource, server))
    }

    /// The authorization code flow with PKCE, from registration to stored tokens.
    async fn authorize(
        &self,
        state: &mut FlowState,
        resource: &ResourceMetadata,
        server: &AuthorizationServerMetadata,
        mut scopes: Vec<String>,
    ) -> Result<(), OAuthError> {
        let client = self.client_for(state, server).await?;
        if self.grant == Grant::ClientCredentials {
            return self.client_credentials(state, resource, server, &client, scopes).await;
        }
        // 2026-07-28, "Refresh Tokens": offline_access only when the authorization server
        // lists it; never because the resource asked for it.
        if self.offline_access
            && server.supports_scope(OFFLINE_ACCESS)
            && !scopes.iter().any(|s| s == OFFLINE_ACCESS)
        {
            scopes.push(OFFLINE_ACCESS.into());
        }
        let pkce = Pkce::generate()?;
        let expected_state = random_token()?;
        let redirect_uri = self.profile.redirect_uri.clone();
        let mut url = Url::parse(&server.authorization_endpoint).map_err(|e| OAuthError::InvalidUrl {
            url: server.authorization_endpoint.clone(),
            reason: e.to_string(),
        })?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &client.client_id)
                .append_pair("redirect_uri", &redirect_uri)
                .append_pair("code_challenge", pkce.challenge())
                .append_pair("code_challenge_method", Pkce::METHOD)
                .append_pair("state", &expected_state)
                .append_pair("resource", &resource.resource);
            if !scopes.is_empty() {
                query.append_pair("scope", &scopes.join(" "));
            }
            // OpenID Connect Core section 11: a request for offline access must carry
            // `prompt=consent`, or OpenID providers drop `offline_access` (and issue no
            // refresh token).
            if scopes.iter().any(|s| s == OFFLINE_ACCESS) {
                query.append_pair("prompt", "consent");
            }
        }
        let request = AuthorizationRequest { url: url.to_string(), redirect_uri: redirect_uri.clone() };
        let response = self.handler.authorize(&request).await.map_err(OAuthError::Interaction)?;

        // RFC 9207 section 2.4 as the 2026-07-28 table applies it: a present `iss` must equal
        // the recorded issuer by simple string comparison; an absent one is refused only when
        // the server advertises it. Checked first: after a mismatch nothing in the response
        // (not even its error) is acted on.
        match &response.iss {
            Some(iss) if *iss != server.issuer => {
                return Err(OAuthError::ResponseIssuerMismatch {
                    expected: server.issuer.clone(),
                    found: Some(iss.clone()),
                });
            }
            None if server.authorization_response_iss_parameter_supported => {
                return Err(OAuthError::ResponseIssuerMismatch {
                    expected: server.issuer.clone(),
                    found: None,
                });
            }
            _ => {}
        }
        if response.state.as_deref() != Some(expected_state.as_str()) {
            return Err(OAuthError::StateMismatch);
        }
        if let Some(error) = response.error {
            return Err(OAuthError::AuthorizationDenied { error, description: response.error_description });
        }
        let code = response.code.ok_or_else(|| OAuthError::InvalidResponse {
            url: redirect_uri.clone(),
            reason: "the authorization response has neither code nor error".into(),
        })?;
        let answer = tokens::token_request(
            &self.http,
            &server.token_endpoint,
            &client,
            vec![
                ("grant_type", "authorization_code".into()),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", pkce.verifier().to_owned()),
                ("resource", resource.resource.clone()),
            ],
        )
        .await?;
        let tokens = answer.into_token_set(&server.issuer, &resource.resource, scopes, None);
        self.save_tokens(Some(&tokens)).await?;
        state.refreshed_for_401 = None;
        Ok(())
    }

    /// The client credentials grant (OAuth 2.1 section 4.2.2) with the `resource` indicator
    /// and the selected scopes; no user, no redirect.
    async fn client_credentials(
        &self,
        state: &mut FlowState,
        resource: &ResourceMetadata,
        server: &AuthorizationServerMetadata,
        client: &ClientRegistration,
        scopes: Vec<String>,
    ) -> Result<(), OAuthError> {
        let mut form =
            vec![("grant_type", "client_credentials".to_owned()), ("resource", resource.resource.clone())];
        if !scopes.is_empty() {
            form.push(("scope", scopes.join(" ")));
        }
        let answer = tokens::token_request(&self.http, &server.token_endpoint, client, form).await?;
        let tokens = answer.into_token_set(&server.issuer, &resource.resource, scopes, None);
        self.save_tokens(Some(&tokens)).await?;
        state.refreshed_for_401 = None;
        Ok(())
    }

    /// Refresh-token grant (OAuth 2.1 section 4.3) with the same `resource`; a rotated refresh
    /// token replaces the old one.
    async fn refresh(&self, state: &mut FlowState, current: &TokenSet) -> Result<TokenSet, OAuthError> {
        let Some(refresh_token) = current.refresh_token.clone() else {
            return Err(OAuthError::Refused { status: 401, detail: "no refresh token".into() });
        };
        let server = match &state.server {
            Some(known) if known.issuer == current.issuer => known.clone(),
            _ => {
                let found = discovery::discover_authorization_server(
                    &self.http,
                    &current.issuer,
                    self.allow_insecure_http,
                )
                .await?;
                state.server = Some(found.clone());
                found
            }
        };
        let client = self.client_for(state, &server).await?;
        let answer = tokens::token_request(
            &self.http,
            &server.token_endpoint,
            &client,
            vec![
                ("grant_type", "refresh_token".into()),
                ("refresh_token", refresh_token.clone()),
                ("resource", current.resource.clone()),
            ],
        )
        .await?;
        let fresh = answer.into_token_set(
            &server.issuer,
            &current.resource,
            current.requested_scopes.clone(),
            Some(refresh_token),
        );
        self.save_tokens(Some(&fresh)).await?;
        Ok(fresh)
    }

    /// The client identity at `server`, in the MCP priority order: pre-registered, stored,
    /// client ID metadata document, dynamic registration.
    async fn client_for(
        &self,
        state: &mut FlowState,
        server: &AuthorizationServerMetadata,
    ) -> Result<ClientRegistration, OAuthError> {
        if let Some(credentials) = &self.pre_registered {
            let bound = credentials.issuer.clone().or_else(|| state.pre_registered_issuer.clone());
            match bound {
                Some(bound) if bound != server.issuer => {
                    return Err(OAuthError::PreRegisteredElsewhere { bound, issuer: server.issuer.clone() });
                }
                _ => state.pre_registered_issuer = Some(server.issuer.clone()),
            }
            return Ok(ClientRegistration {
                issuer: server.issuer.clone(),
                client_id: credentials.client_id.clone(),
                client_secret: credentials.client_secret.clone(),
                auth_method: credentials.auth_method.unwrap_or_else(|| {
                    registration::default_method(credentials.client_secret.is_some(), server)
                }),
                kind: RegistrationKind::PreRegistered,
                signing_key: credentials.signing_key.clone(),
            });
        }
        let stored = self.store.load_client(&server.issuer).await.map_err(OAuthError::Storage)?;
        if let Some(stored) = stored {
            let still_valid = match stored.kind {
                RegistrationKind::MetadataDocument => {
                    server.client_id_metadata_document_supported
                        && self.profile.metadata_url.as_deref() == Some(stored.client_id.as_str())
                }
                _ => true,
            };
            if still_valid && stored.issuer == server.issuer {
                return Ok(stored);
            }
        }
        let registration = if let (true, Some(url)) =
            (server.client_id_metadata_document_supported, self.profile.metadata_url.as_ref())
        {
            ClientRegistration {
                issuer: server.issuer.clone(),
                client_id: url.clone(),
                client_secret: None,
                auth_method: registration::TokenEndpointAuth::None,
                kind: RegistrationKind::MetadataDocument,
                signing_key: None,
            }
        } else if let Some(endpoint) = &server.registration_endpoint {
            registration::register_dynamically(&self.http, server, endpoint, &self.profile).await?
        } else {
            return Err(OAuthError::NoRegistration { issuer: server.issuer.clone() });
        };
        self.store.save_client(&server.issuer, Some(&registration)).await.map_err(OAuthError::Storage)?;
        Ok(registration)
    }

    async fn load_tokens(&self) -> Result<Option<TokenSet>, OAuthError> {
        self.store.load_tokens(&self.server_url).await.map_err(OAuthError::Storage)
    }

    async fn save_tokens(&self, tokens: Option<&TokenSet>) -> Result<(), OAuthError> {
        self.store.save_tokens(&self.server_url, tokens).await.map_err(OAuthError::Storage)?;
        if tokens.is_some() {
            self.bump_generation();
        }
        Ok(())
    }
}

fn bearer(tokens: &TokenSet) -> String {
    format!("Bearer {}", tokens.access_token)
}

/// `previous ∪ added`, keeping the order of first appearance.
fn union(previous: &[String], added: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(previous.len() + added.len());
    for scope in previous.iter().chain(added) {
        if !out.contains(scope) {
            out.push(scope.clone());
        }
    }
    out
}
