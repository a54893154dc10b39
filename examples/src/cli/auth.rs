//! The OAuth flags of the examples that take them (`tickets`): an issuer whose JWT access
//! tokens are accepted, the canonical resource URL, the mode, and static tokens read from a
//! file or an environment variable (never from the command line, where `ps` and shell history
//! would show them).
//!
//! ```
//! use clap::Parser;
//! use examples::cli::{AuthArgs, AuthMode, Serve};
//!
//! #[derive(Parser)]
//! struct Args {
//!     #[command(flatten)]
//!     serve: Serve,
//!     #[command(flatten)]
//!     auth: AuthArgs,
//! }
//!
//! let args = Args::parse_from([
//!     "tickets", "--http", "127.0.0.1:8000", "--auth-issuer", "https://login.example.com",
//!     "--auth-mode", "required",
//! ]);
//! assert_eq!(args.auth.auth_mode, AuthMode::Required);
//! assert!(args.auth.enabled());
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use mcp_connector_core::auth::Claims;
use mcp_connector_transport::auth::{Auth, JwtVerifier, StaticTokens, TokenVerifier, VerifyError};
use mcp_connector_transport::http::{DEFAULT_PATH, HttpTransport};

/// Whether every request needs a token, or only the tools that ask for one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    /// Reads work without a token; writes need one (what ChatGPT's mixed auth expects).
    #[default]
    Mixed,
    /// Every request needs a valid token.
    Required,
}

/// The OAuth flags. Auth is on when `--auth-issuer`, `--tokens-file` or `--tokens-env` is
/// given; they all need `--http`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct AuthArgs {
    /// Accept JWT access tokens from this OAuth issuer (found by RFC 8414 or OIDC discovery).
    #[arg(long, value_name = "URL", requires = "http")]
    pub auth_issuer: Option<String>,

    /// The canonical URL tokens must be issued for (default: from --allow-host, else --http).
    #[arg(long, value_name = "URL", requires = "http")]
    pub resource: Option<String>,

    /// Which requests need a token: mixed (only writes) or required (all).
    #[arg(long, value_name = "MODE", value_enum, default_value_t = AuthMode::Mixed, hide_possible_values = true, requires = "http")]
    pub auth_mode: AuthMode,

    /// Static tokens, one per line: `TOKEN SUBJECT [SCOPE...]` (`#` starts a comment).
    #[arg(long, value_name = "PATH", requires = "http")]
    pub tokens_file: Option<PathBuf>,

    /// Static tokens in this environment variable, same format (lines or `;`-separated).
    #[arg(long, value_name = "VAR", requires = "http")]
    pub tokens_env: Option<String>,
}

impl AuthArgs {
    /// Whether any flag turns auth on.
    pub fn enabled(&self) -> bool {
        self.auth_issuer.is_some() || self.tokens_file.is_some() || self.tokens_env.is_some()
    }

    /// The resource URL: `--resource`, else `https://NAME/mcp` for the first `--allow-host`
    /// that is a plain name (a public name sits behind a TLS proxy or tunnel), else
    /// `http://ADDR/mcp` for the bound address.
    pub fn resource_for(&self, bound: SocketAddr, allow_hosts: &[String]) -> String {
        if let Some(resource) = &self.resource {
            return resource.clone();
        }
        match allow_hosts.iter().find(|h| !h.contains('*')) {
            Some(host) => format!("https://{host}{DEFAULT_PATH}"),
            None => format!("http://{bound}{DEFAULT_PATH}"),
        }
    }

    /// Puts auth on `transport` when the flags ask for it: the static tokens and the issuer's
    /// JWTs both accepted, `scopes` listed in the metadata. Reads the token file or variable
    /// now, so that a mistake there stops the server at start, saying which line is wrong.
    pub fn apply(
        &self,
        transport: HttpTransport,
        resource: &str,
        scopes: &[&str],
    ) -> Result<HttpTransport, String> {
        if !self.enabled() {
            return Ok(transport);
        }
        let mut statics = None;
        if let Some(path) = &self.tokens_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the tokens file {}: {e}", path.display()))?;
            statics = Some(parse_tokens(&text).map_err(|e| format!("{}: {e}", path.display()))?);
        }
        if let Some(var) = &self.tokens_env {
            let text =
                std::env::var(var).map_err(|_| format!("the environment variable {var} is not set"))?;
            let base = statics.take().unwrap_or_default();
            statics = Some(merge(base, &text).map_err(|e| format!("${var}: {e}"))?);
        }
        let jwt = self.auth_issuer.as_ref().map(|issuer| JwtVerifier::new(issuer, resource));
        let verifier = Verifiers { statics, jwt };
        let mut auth = match self.auth_mode {
            AuthMode::Mixed => Auth::mixed(resource, verifier).anonymous_reads(true),
            AuthMode::Required => Auth::required(resource, verifier),
        };
        if let Some(issuer) = &self.auth_issuer {
            auth = auth.authorization_server(issuer);
        }
        auth = auth.scopes_supported(scopes.iter().copied());
        Ok(transport.auth(auth))
    }
}

/// Static tokens first (a digest lookup, no network), then the issuer's JWTs.
struct Verifiers {
    statics: Option<StaticTokens>,
    jwt: Option<JwtVerifier>,
}

#[mcp_connector_transport::http::async_trait]
impl TokenVerifier for Verifiers {
    async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        let mut refused = VerifyError::Invalid("unknown token".into());
        if let Some(statics) = &self.statics {
            match statics.verify(token).await {
                Ok(claims) => return Ok(claims),
                Err(error) => refused = error,
            }
        }
        match &self.jwt {
            Some(jwt) => jwt.verify(token).await,
            None => Err(refused),
        }
    }
}

/// Reads `TOKEN SUBJECT [SCOPE...]` lines (blank lines and `#` comments skipped; `;` also ends
/// a line, for environment variables). An error names the line, never the token.
pub(crate) fn parse_tokens(text: &str) -> Result<StaticTokens, String> {
    merge(StaticTokens::new(), text)
}

fn merge(mut tokens: StaticTokens, text: &str) -> Result<StaticTokens, String> {
    let mut count = 0;
    for (index, line) in text.split(['\n', ';']).enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(token), Some(subject)) = (words.next(), words.next()) else {
            return Err(format!("entry {}: write `TOKEN SUBJECT [SCOPE...]`", index + 1));
        };
        if token.len() < 16 {
            return Err(format!(
                "entry {}: the token is shorter than 16 characters; use a long random one",
                index + 1
            ));
        }
        tokens = tokens.user(token, subject, words);
        count += 1;
    }
    if count == 0 {
        return Err("no tokens: write one `TOKEN SUBJECT [SCOPE...]` per line".into());
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn token_lines_give_subjects_and_scopes() {
        let tokens = parse_tokens(
            "# CI and a developer\n0123456789abcdef-ci ci tickets:read tickets:write\n\n\
             dev-token-0123456789 dev  # no scopes\n",
        )
        .unwrap();
        let ci = tokens.verify("0123456789abcdef-ci").await.unwrap();
        assert_eq!(ci.subject.as_deref(), Some("ci"));
        assert_eq!(ci.scopes, ["tickets:read", "tickets:write"]);
        assert!(tokens.verify("dev-token-0123456789").await.unwrap().scopes.is_empty());
        assert!(tokens.verify("ci").await.is_err());
        let env = parse_tokens("aaaaaaaaaaaaaaaaaaaa alice tickets:admin; bbbbbbbbbbbbbbbbbbbb bob").unwrap();
        assert_eq!(env.verify("bbbbbbbbbbbbbbbbbbbb").await.unwrap().subject.as_deref(), Some("bob"));
    }

    #[test]
    fn bad_token_lines_name_the_entry_and_never_the_token() {
        let error = parse_tokens("aaaaaaaaaaaaaaaaaaaa alice\nlonely-token-without-subject\n").err().unwrap();
        assert_eq!(error, "entry 2: write `TOKEN SUBJECT [SCOPE...]`");
        let error = parse_tokens("short alice").err().unwrap();
        assert!(error.starts_with("entry 1: the token is shorter") && !error.contains("short "), "{error}");
        assert!(parse_tokens("# only a comment\n").is_err());
    }

    #[test]
    fn the_resource_comes_from_the_flag_the_public_host_or_the_bound_address() {
        let bound: SocketAddr = "127.0.0.1:8123".parse().unwrap();
        let args = AuthArgs::default();
        assert_eq!(args.resource_for(bound, &[]), "http://127.0.0.1:8123/mcp");
        let hosts = ["*.trycloudflare.com".to_owned(), "mcp.example.com".to_owned()];
        assert_eq!(args.resource_for(bound, &hosts), "https://mcp.example.com/mcp");
        let args = AuthArgs { resource: Some("https://t.example/mcp".into()), ..AuthArgs::default() };
        assert_eq!(args.resource_for(bound, &hosts), "https://t.example/mcp");
    }
}
