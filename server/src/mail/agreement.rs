//! Signed agreements: their PDFs (for the console's download and the visitor's email) and the
//! email that sends them to a visitor who asked for a copy, in the tenant's language.

use uuid::Uuid;
use vestibule_shared::types::Language;

use super::compose::{Attachment, Content, escape};
use crate::{
    days::local_time,
    error::Error,
    images, pdf,
    store::{TenantTx, VisitRow},
};

/// The PDFs (file name, bytes) of the agreements signed with visit `v` (only `only` when
/// given); none when the visit signed none.
pub async fn pdfs(
    tx: &mut TenantTx,
    v: &VisitRow,
    only: Option<Uuid>,
) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let signed = tx.visit_agreements(v.id).await?;
    let signed: Vec<_> = signed
        .into_iter()
        .filter(|s| only.is_none_or(|o| o == s.agreement_id))
        .collect();
    if signed.is_empty() {
        return Ok(Vec::new());
    }
    let site = tx.site(v.site_id).await?.ok_or(Error::NotFound)?;
    let signature = tx.visit_signature(v.id).await?.ok_or(Error::NotFound)?;
    let signature = images::stored_signature(&signature)?;
    let ink = pdf::Ink {
        width: signature.width(),
        height: signature.height(),
        pixels: images::ink(&signature),
    };
    let mut out = Vec::with_capacity(signed.len());
    for s in signed {
        let texts = serde_json::from_str::<
            std::collections::BTreeMap<
                Language,
                vestibule_shared::dto::visitor_types::AgreementText,
            >,
        >(&s.texts)
        .map_err(|e| Error::Internal(e.into()))?;
        let lang = Language::from_stored(&s.language);
        let text = texts.get(&lang).ok_or(Error::NotFound)?;
        let when = local_time(s.signed_at, &site.timezone);
        let rendered = pdf::signed_agreement(&pdf::SignedAgreement {
            title: &text.title,
            body: &text.body,
            version: s.version,
            language: lang.as_str(),
            signer: &v.visitor_name,
            signed_at: &when,
            site: &site.name,
            sha256: &hex::encode(&s.sha256),
            signature: &ink,
        })?;
        let short = &s.agreement_id.simple().to_string()[..8];
        out.push((format!("agreement-{short}-v{}.pdf", s.version), rendered));
    }
    Ok(out)
}

/// The email to the visitor with their signed agreements attached.
pub fn to_visitor(
    lang: Language,
    visitor: &str,
    company: &str,
    pdfs: Vec<(String, Vec<u8>)>,
) -> Content {
    let (subject, lead, footer) = match lang {
        Language::En => (
            format!("Your signed agreement with {company}"),
            format!(
                "Thank you for your visit. Attached is a copy of what you signed at {company} reception."
            ),
            "Sent by Vestibule, the visitor desk of the company you visited.",
        ),
        Language::Fr => (
            format!("Votre accord signé avec {company}"),
            format!(
                "Merci de votre visite. Vous trouverez ci-joint une copie de ce que vous avez signé à l'accueil de {company}."
            ),
            "Envoyé par Vestibule, l'accueil visiteurs de l'entreprise que vous avez visitée.",
        ),
    };
    let hello = super::invitation::hello(lang);
    let text = format!("{hello} {visitor},\n\n{lead}\n\n-- \n{footer}\n");
    let html = format!(
        "<!DOCTYPE html><html lang=\"{l}\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\
         <p>{hello} {visitor},</p><p>{lead}</p><p><small>{footer}</small></p></body></html>",
        l = lang.as_str(),
        title = escape(&subject),
        visitor = escape(visitor),
        lead = escape(&lead),
        footer = escape(footer),
    );
    Content {
        subject,
        text,
        html,
        attachments: pdfs
            .into_iter()
            .map(|(filename, body)| Attachment {
                filename,
                content_type: "application/pdf",
                inline_id: None,
                body,
            })
            .collect(),
    }
}
