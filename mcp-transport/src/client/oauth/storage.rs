//! Where tokens and client registrations live between requests (and, with a persistent
//! store, between runs): a trait, and an in-memory default.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::client::AuthorizeError;

use super::registration::ClientRegistration;
use super::tokens::TokenSet;

/// Storage for an [`OAuthClient`](super::OAuthClient): token sets keyed by the MCP server
/// URL, client registrations keyed by the authorization server's issuer (credentials are
/// never shared between authorization servers). Implement it over a keychain or an encrypted
/// file to keep users logged in across runs; tokens and secrets must stay confidential
/// (OAuth 2.1 section 7.1). Both value types are `serde` types.
///
/// ```
/// use mcp_connector_transport::client::oauth::{InMemoryTokenStore, TokenStore};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = InMemoryTokenStore::new();
/// assert!(store.load_tokens("https://mcp.example.com/mcp").await.unwrap().is_none());
/// # });
/// ```
#[async_trait::async_trait]
pub trait TokenStore: Send + Sync + 'static {
    /// The tokens for the MCP server at `server_url`.
    async fn load_tokens(&self, server_url: &str) -> Result<Option<TokenSet>, AuthorizeError>;
    /// Replaces (or with `None`, forgets) the tokens for `server_url`.
    async fn save_tokens(&self, server_url: &str, tokens: Option<&TokenSet>) -> Result<(), AuthorizeError>;
    /// The client registration at the authorization server `issuer`.
    async fn load_client(&self, issuer: &str) -> Result<Option<ClientRegistration>, AuthorizeError>;
    /// Replaces (or with `None`, forgets) the client registration at `issuer`.
    async fn save_client(
        &self,
        issuer: &str,
        client: Option<&ClientRegistration>,
    ) -> Result<(), AuthorizeError>;
}

/// The default store: process memory, gone when the process exits.
///
/// ```
/// use mcp_connector_transport::client::oauth::InMemoryTokenStore;
/// let store = InMemoryTokenStore::default();
/// # drop(store);
/// ```
#[derive(Debug, Default)]
pub struct InMemoryTokenStore {
    tokens: Mutex<HashMap<String, TokenSet>>,
    clients: Mutex<HashMap<String, ClientRegistration>>,
}

impl InMemoryTokenStore {
    /// An empty store.
    ///
    /// ```
    /// let store = mcp_connector_transport::client::oauth::InMemoryTokenStore::new();
    /// # drop(store);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
}

fn put<V: Clone>(map: &Mutex<HashMap<String, V>>, key: &str, value: Option<&V>) {
    let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match value {
        Some(v) => map.insert(key.to_owned(), v.clone()),
        None => map.remove(key),
    };
}

fn get<V: Clone>(map: &Mutex<HashMap<String, V>>, key: &str) -> Option<V> {
    map.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(key).cloned()
}

#[async_trait::async_trait]
impl TokenStore for InMemoryTokenStore {
    async fn load_tokens(&self, server_url: &str) -> Result<Option<TokenSet>, AuthorizeError> {
        Ok(get(&self.tokens, server_url))
    }

    async fn save_tokens(&self, server_url: &str, tokens: Option<&TokenSet>) -> Result<(), AuthorizeError> {
        put(&self.tokens, server_url, tokens);
        Ok(())
    }

    async fn load_client(&self, issuer: &str) -> Result<Option<ClientRegistration>, AuthorizeError> {
        Ok(get(&self.clients, issuer))
    }

    async fn save_client(
        &self,
        issuer: &str,
        client: Option<&ClientRegistration>,
    ) -> Result<(), AuthorizeError> {
        put(&self.clients, issuer, client);
        Ok(())
    }
}

/// A shared store: keep one handle in the application (to inspect or clear it) and give a
/// clone to the client.
///
/// ```
/// use std::sync::Arc;
/// use mcp_connector_transport::client::oauth::{HeadlessBrowser, InMemoryTokenStore, OAuthClient};
/// let store = Arc::new(InMemoryTokenStore::new());
/// let oauth = OAuthClient::builder("https://mcp.example.com/mcp")
///     .token_store(store.clone())
///     .build(HeadlessBrowser::new("http://127.0.0.1:9/callback"))
///     .unwrap();
/// # drop(oauth);
/// ```
#[async_trait::async_trait]
impl<T: TokenStore> TokenStore for std::sync::Arc<T> {
    async fn load_tokens(&self, server_url: &str) -> Result<Option<TokenSet>, AuthorizeError> {
        (**self).load_tokens(server_url).await
    }

    async fn save_tokens(&self, server_url: &str, tokens: Option<&TokenSet>) -> Result<(), AuthorizeError> {
        (**self).save_tokens(server_url, tokens).await
    }

    async fn load_client(&self, issuer: &str) -> Result<Option<ClientRegistration>, AuthorizeError> {
        (**self).load_client(issuer).await
    }

    async fn save_client(
        &self,
        issuer: &str,
        client: Option<&ClientRegistration>,
    ) -> Result<(), AuthorizeError> {
        (**self).save_client(issuer, client).await
    }
}
