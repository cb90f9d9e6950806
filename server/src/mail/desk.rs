//! The desk's alerts, to the tenant's admins and receptionists, with the link to the console:
//! a visitor the watchlist holds (who, where, for which host and since when; staff see why and
//! admit or turn the visitor away in the console, the reason itself stays behind its sign-in),
//! and a visitor checked in on a kiosk during an outage whose host was removed before the
//! check-in arrived (nobody was told; staff find the host and set it on the visit).

use vestibule_shared::types::Language;

use super::compose::{Content, lead_and_link};

/// What an alert says.
pub struct DeskAlert<'a> {
    pub visitor: &'a str,
    pub company: Option<&'a str>,
    pub site: &'a str,
    /// The host's name; `None` for a visit without one.
    pub host: Option<&'a str>,
    /// When they checked in, in the site's time, as people read it.
    pub at: &'a str,
    /// The console.
    pub link: &'a str,
}

impl DeskAlert<'_> {
    fn who(&self) -> String {
        match self.company {
            Some(c) => format!("{} ({c})", self.visitor),
            None => self.visitor.to_owned(),
        }
    }
}

/// The subject, the lead and the link's words of an alert, in `lang`.
type Words = (String, String, &'static str, &'static str);

/// A visitor the watchlist held.
pub fn held(lang: Language, f: &DeskAlert<'_>) -> Content {
    let who = f.who();
    let words: Words = match lang {
        Language::En => (
            format!("Check at {} reception: {}", f.site, f.visitor),
            format!(
                "{who} checked in at {} at {} to see {} and matches your watchlist. They were asked to see reception; their host has not been told. Admit them or turn them away in the console.",
                f.site,
                f.at,
                f.host.unwrap_or("no one (their host was removed)")
            ),
            "Open the console",
            "Sent by Vestibule to the company's admins and receptionists.",
        ),
        Language::Fr => (
            format!("À vérifier à l'accueil de {} : {}", f.site, f.visitor),
            format!(
                "{who} s'est enregistré(e) à {} à {} pour voir {} et correspond à votre liste de surveillance. La personne a été invitée à se présenter à l'accueil ; son hôte n'a pas été prévenu. Faites-la entrer ou refusez-la dans la console.",
                f.site,
                f.at,
                f.host.unwrap_or("personne (son hôte a été supprimé)")
            ),
            "Ouvrir la console",
            "Envoyé par Vestibule aux administrateurs et réceptionnistes de l'entreprise.",
        ),
    };
    compose(lang, f, words)
}

/// A visitor checked in offline for a host removed before the check-in arrived.
pub fn no_host(lang: Language, f: &DeskAlert<'_>) -> Content {
    let who = f.who();
    let words: Words = match lang {
        Language::En => (
            format!("A visitor at {} without a host: {}", f.site, f.visitor),
            format!(
                "{who} checked in at {} at {} while the kiosk's connection was down. The host they chose has since been removed, so nobody has been told. Find who they are here to see and set the host on their visit in the console.",
                f.site, f.at
            ),
            "Open the console",
            "Sent by Vestibule to the company's admins and receptionists.",
        ),
        Language::Fr => (
            format!("Un visiteur sans hôte à {} : {}", f.site, f.visitor),
            format!(
                "{who} s'est enregistré(e) à {} à {} pendant une coupure de connexion de la borne. L'hôte choisi a été supprimé depuis : personne n'a été prévenu. Trouvez qui la personne vient voir et indiquez l'hôte de sa visite dans la console.",
                f.site, f.at
            ),
            "Ouvrir la console",
            "Envoyé par Vestibule aux administrateurs et réceptionnistes de l'entreprise.",
        ),
    };
    compose(lang, f, words)
}

fn compose(lang: Language, f: &DeskAlert<'_>, (subject, lead, open, footer): Words) -> Content {
    lead_and_link(lang, subject, &lead, (f.link, open), footer)
}
