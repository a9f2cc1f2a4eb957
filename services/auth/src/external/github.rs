//! GitHub: OAuth 2 without OpenID Connect. The person is `GET /user` (its numeric `id` is the
//! subject: logins can be renamed), their address the primary verified one of `GET /user/emails`
//! (the profile's `email` is whatever they chose to show, verified or not).

use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Deserialize)]
pub struct GitHubUser {
    pub id: i64,
    pub login: String,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct GitHubEmail {
    pub email: String,
    pub primary: bool,
    pub verified: bool,
}

/// The claims Posey keeps of a GitHub account, in OpenID's names: the primary address when it
/// is verified, else any verified one, else no address.
pub fn claims(user: &GitHubUser, emails: &[GitHubEmail]) -> Map<String, Value> {
    let verified = emails
        .iter()
        .find(|e| e.primary && e.verified)
        .or_else(|| emails.iter().find(|e| e.verified));
    let mut claims = json!({
        "sub": user.id.to_string(),
        "preferred_username": user.login,
        "user_name": user.login,
        "name": user.name,
        "picture": user.avatar_url,
    });
    if let (Some(email), Some(map)) = (verified, claims.as_object_mut()) {
        map.insert("email".into(), json!(email.email));
        map.insert("email_verified".into(), json!(true));
    }
    let Value::Object(mut map) = claims else { unreachable!("built as an object") };
    map.retain(|_, v| !v.is_null());
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(address: &str, primary: bool, verified: bool) -> GitHubEmail {
        GitHubEmail { email: address.into(), primary, verified }
    }

    #[test]
    fn only_a_verified_address_is_taken() {
        let user =
            GitHubUser { id: 42, login: "ada".into(), name: Some("Ada".into()), avatar_url: None };
        let c = claims(&user, &[email("a@x.test", true, false), email("b@x.test", false, true)]);
        assert_eq!((c["sub"].as_str(), c["email"].as_str()), (Some("42"), Some("b@x.test")));
        let c = claims(&user, &[email("b@x.test", false, true), email("a@x.test", true, true)]);
        assert_eq!(c["email"], "a@x.test");
        let c = claims(&user, &[email("a@x.test", true, false)]);
        assert!(c.get("email").is_none() && c.get("picture").is_none());
    }
}
