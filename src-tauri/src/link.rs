//! Activation links that arrive from outside the app: `softtoken://activate?server=…&code=…` opened from a mail, a
//! web page or another app's QR scan (the OS hands it over on phones; on the desktop a second start does, see
//! lib.rs). Nothing is provisioned when a link arrives: it waits here, in Rust, until the customer has seen the
//! token service's host on the confirmation screen and said yes. A host other than the one this build (or the
//! customer, in Settings) configured gets a warning: a look-alike host in a phishing QR must never provision
//! silently. The activation code never reaches the webview.

use serde::Serialize;
use softtoken_core::provisioning::ActivationLink;

use crate::error::{AppResult, ErrorView};
use crate::service;

/// A link that arrived, before the customer decided.
#[derive(Debug)]
pub enum Pending {
    /// A well-formed link to a usable service URL, waiting for the customer's yes.
    Link(ActivationLink),
    /// A link that cannot be used, and why (shown once, then forgotten).
    Refused(ErrorView),
}

impl Pending {
    /// Reads a link the OS handed over. `allow_http`: tester mode (plain http to another machine).
    #[must_use]
    pub fn read(text: &str, allow_http: bool) -> Pending {
        let checked = ActivationLink::parse(text)
            .map_err(crate::error::AppError::from)
            .and_then(|link| service::checked_url(link.server.as_str(), allow_http).map(|_| link));
        match checked {
            Ok(link) => Pending::Link(link),
            Err(e) => Pending::Refused(ErrorView::from(&e)),
        }
    }
}

/// What the confirmation screen shows: where the link would send the app, and whether that is the service this
/// app was set up for. No activation code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkView {
    /// The service's host as the URL parser normalised it: lower case, international names in their `xn--` form
    /// (so that a look-alike letter shows), with the port when it is not the scheme's default.
    pub host: String,
    /// The service's base URL.
    pub server: String,
    /// Whether `server` has the origin (scheme, host, port) of a configured service.
    pub known: bool,
    /// The host of the service this app is configured for (Settings), for the warning.
    pub expected_host: String,
}

fn host_port(u: &url::Url) -> String {
    let host = u.host_str().unwrap_or_default();
    match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// The confirmation screen's view of `link`. `configured`: the service URLs this app trusts (the settings' one and
/// the build's default); unparsable ones are ignored.
#[must_use]
pub fn view(link: &ActivationLink, configured: &[&str]) -> LinkView {
    let origins: Vec<url::Url> = configured
        .iter()
        .filter_map(|c| softtoken_core::provisioning::service_url(c).ok())
        .collect();
    let known = origins.iter().any(|o| o.origin() == link.server.origin());
    LinkView {
        host: host_port(&link.server),
        server: link.server.as_str().trim_end_matches('/').to_string(),
        known,
        expected_host: origins.first().map(host_port).unwrap_or_default(),
    }
}

/// What [`Pending`] the UI gets: `Ok(None)` when no link waits, `Err` for a refused link.
///
/// # Errors
/// The refused link's error.
pub fn offer(pending: Option<&Pending>, configured: &[&str]) -> AppResult<Option<LinkView>> {
    match pending {
        None => Ok(None),
        Some(Pending::Link(link)) => Ok(Some(view(link, configured))),
        Some(Pending::Refused(e)) => Err(crate::error::AppError::Refused(e.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BANK: &str = "https://token.shinkin.example";

    fn link(server: &str) -> ActivationLink {
        match Pending::read(
            &format!("softtoken://activate?server={server}&code=ABCD-EFGH-JKMN"),
            false,
        ) {
            Pending::Link(l) => l,
            Pending::Refused(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn the_configured_service_is_known() {
        let v = view(&link(BANK), &[BANK, "http://127.0.0.1:8787"]);
        assert!(v.known);
        assert_eq!(v.host, "token.shinkin.example");
        assert_eq!(v.server, BANK);
        assert_eq!(v.expected_host, "token.shinkin.example");
        // The build's default counts too, whatever Settings say.
        assert!(view(&link(BANK), &["https://other.example", BANK]).known);
    }

    #[test]
    fn look_alike_hosts_are_not_known_and_show_what_they_are() {
        for (server, host) in [
            (
                "https://token.shinkin.example.evil.example",
                "token.shinkin.example.evil.example",
            ),
            ("https://token-shinkin.example", "token-shinkin.example"),
            ("https://token.shinkin.example:8443", "token.shinkin.example:8443"),
            // A Cyrillic "і" in place of the Latin "i": shown in its xn-- form.
            (
                "https://token.sh\u{456}nkin.example",
                "token.xn--shnkin-qvf.example",
            ),
        ] {
            let v = view(&link(server), &[BANK]);
            assert!(!v.known, "{server}");
            assert_eq!(v.host, host);
            assert_eq!(v.expected_host, "token.shinkin.example");
        }
        // Another scheme is another origin.
        assert!(!view(&link("http://127.0.0.1:8787"), &["https://127.0.0.1:8787"]).known);
    }

    #[test]
    fn unusable_links_are_refused_with_their_reason() {
        let code = |text: &str, http: bool| match Pending::read(text, http) {
            Pending::Link(_) => None,
            Pending::Refused(e) => Some(e.code),
        };
        assert_eq!(
            code("softtoken://activate?server=https://x.example", false),
            Some("provisioning")
        );
        assert_eq!(
            code("softtoken://other?server=https://x.example&code=AB", false),
            Some("provisioning")
        );
        // Plain http to another machine: only in tester mode.
        let plain = "softtoken://activate?server=http://bank.example&code=ABCD-EFGH";
        assert_eq!(code(plain, false), Some("bad_service_url"));
        assert_eq!(code(plain, true), None);
        // Credentials in the URL (a classic look-alike trick: https://bank.example@evil.example) are refused.
        assert!(code(
            "softtoken://activate?server=https://bank.example@evil.example&code=ABCD-EFGH",
            false
        )
        .is_some());
    }

    #[test]
    fn the_view_never_holds_the_code() {
        let v = view(&link(BANK), &[BANK]);
        let json = serde_json::to_string(&v).unwrap();
        assert!(!json.contains("ABCD"), "{json}");
        assert!(!format!("{:?}", Pending::Link(link(BANK))).contains("ABCD"));
    }

    #[test]
    fn offer_tells_nothing_a_link_and_a_refusal_apart() {
        assert_eq!(offer(None, &[BANK]).unwrap(), None);
        assert!(
            offer(Some(&Pending::Link(link(BANK))), &[BANK])
                .unwrap()
                .unwrap()
                .known
        );
        let refused = Pending::read("softtoken://activate?code=AB", false);
        assert_eq!(offer(Some(&refused), &[BANK]).unwrap_err().code(), "provisioning");
    }
}
