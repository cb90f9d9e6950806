//! The email that gives a visitor their pass, in the tenant's language: the code in text and as a
//! QR code (an inline PNG), how long it is good for, and the link that revokes it. Every value in
//! HTML is escaped.

use vestibule_shared::types::Language;

use super::compose::{Attachment, Content, escape};

/// What a pass's email is made of.
pub struct PassEmail<'a> {
    pub visitor: &'a str,
    /// The company the pass is for (the tenant's name).
    pub company: &'a str,
    /// The code, grouped as people type it.
    pub code: &'a str,
    /// The last day it is good for, as the visitor reads it.
    pub until: &'a str,
    /// The link that revokes it.
    pub revoke_url: &'a str,
}

/// The content id of the QR code's image in the HTML part.
const QR_CID: &str = "visitor-pass";

/// The email to the visitor.
pub fn to_visitor(lang: Language, f: &PassEmail<'_>) -> Result<Content, String> {
    let (subject, lead, code_label, how, revoke, footer) = match lang {
        Language::En => (
            format!("Your visitor pass for {}", f.company),
            format!(
                "Thank you for your visit. Here is your pass for next time, good at any {} reception until {}.",
                f.company, f.until
            ),
            "Your pass",
            "At the reception tablet, choose \"I have an invitation or a pass\" and scan the QR code or type the code: your details are filled in for you. Keep it to yourself, like a key.",
            "No longer want it? Revoke it here",
            "Sent by Vestibule, the visitor desk of the company you visited.",
        ),
        Language::Fr => (
            format!("Votre pass visiteur pour {}", f.company),
            format!(
                "Merci de votre visite. Voici votre pass pour la prochaine fois, valable à tout accueil de {} jusqu'au {}.",
                f.company, f.until
            ),
            "Votre pass",
            "À la tablette de l'accueil, choisissez « J'ai une invitation ou un pass » et présentez le QR code ou tapez le code : vos coordonnées sont reprises. Gardez-le pour vous, comme une clé.",
            "Vous n'en voulez plus ? Révoquez-le ici",
            "Envoyé par Vestibule, l'accueil visiteurs de l'entreprise que vous avez visitée.",
        ),
    };
    let hello = super::invitation::hello(lang);
    let text = format!(
        "{hello} {},\n\n{lead}\n\n{code_label}: {}\n\n{how}\n\n{revoke}: {}\n\n-- \n{footer}\n",
        f.visitor, f.code, f.revoke_url
    );
    let html = format!(
        "<!DOCTYPE html><html lang=\"{l}\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\
         <p>{hello} {visitor},</p><p><strong>{lead}</strong></p>\
         <p>{code_label}: <strong style=\"font-size:1.5em;letter-spacing:0.1em\">{code}</strong></p>\
         <p><img src=\"cid:{QR_CID}\" width=\"240\" height=\"240\" alt=\"{code_label}: {code}\"></p>\
         <p>{how}</p><p><a href=\"{url}\">{revoke}</a></p><p><small>{footer}</small></p></body></html>",
        l = lang.as_str(),
        title = escape(&subject),
        visitor = escape(f.visitor),
        lead = escape(&lead),
        code_label = escape(code_label),
        code = escape(f.code),
        how = escape(how),
        url = escape(f.revoke_url),
        revoke = escape(revoke),
        footer = escape(footer),
    );
    Ok(Content {
        subject,
        text,
        html,
        attachments: vec![Attachment {
            filename: "visitor-pass.png".into(),
            content_type: "image/png",
            inline_id: Some(QR_CID.into()),
            body: super::invitation::qr_png(f.code)?,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_visitor_gets_the_code_its_qr_and_the_revocation_link() {
        let f = PassEmail {
            visitor: "Ada <b>",
            company: "Acme & Co",
            code: "ABCD-EFGH-JKMN-PQRS",
            until: "2027-03-04",
            revoke_url: "https://vestibule.example/pass#t.p.s",
        };
        let c = to_visitor(Language::En, &f).expect("content");
        assert!(c.text.contains("ABCD-EFGH-JKMN-PQRS"), "{}", c.text);
        assert!(c.text.contains("https://vestibule.example/pass#t.p.s"));
        assert!(c.html.contains("cid:visitor-pass"));
        assert!(!c.html.contains("<b>") && c.html.contains("Acme &amp; Co"));
        assert!(c.attachments[0].body.starts_with(b"\x89PNG"));
        let fr = to_visitor(Language::Fr, &f).expect("content");
        assert!(fr.subject.starts_with("Votre pass visiteur"));
    }
}
