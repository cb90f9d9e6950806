//! The desk's alert when the watchlist holds a visitor: who, where, for which host and since when,
//! with the link to the console, where staff see why and admit or turn the visitor away. The
//! reason itself stays behind the console's sign-in.

use vestibule_shared::types::Language;

use super::compose::{Content, lead_and_link};

/// What the email says.
pub struct HeldEmail<'a> {
    pub visitor: &'a str,
    pub company: Option<&'a str>,
    pub site: &'a str,
    pub host: &'a str,
    /// When they checked in, in the site's time, as people read it.
    pub at: &'a str,
    /// The console.
    pub link: &'a str,
}

pub fn to_desk(lang: Language, f: &HeldEmail<'_>) -> Content {
    let who = match f.company {
        Some(c) => format!("{} ({c})", f.visitor),
        None => f.visitor.to_owned(),
    };
    let (subject, lead, open, footer) = match lang {
        Language::En => (
            format!("Check at {} reception: {}", f.site, f.visitor),
            format!(
                "{who} checked in at {} at {} to see {} and matches your watchlist. They were asked to see reception; their host has not been told. Admit them or turn them away in the console.",
                f.site, f.at, f.host
            ),
            "Open the console",
            "Sent by Vestibule to the company's admins and receptionists.",
        ),
        Language::Fr => (
            format!("À vérifier à l'accueil de {} : {}", f.site, f.visitor),
            format!(
                "{who} s'est enregistré(e) à {} à {} pour voir {} et correspond à votre liste de surveillance. La personne a été invitée à se présenter à l'accueil ; son hôte n'a pas été prévenu. Faites-la entrer ou refusez-la dans la console.",
                f.site, f.at, f.host
            ),
            "Ouvrir la console",
            "Envoyé par Vestibule aux administrateurs et réceptionnistes de l'entreprise.",
        ),
    };
    lead_and_link(lang, subject, &lead, (f.link, open), footer)
}
