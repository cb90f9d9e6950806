//! The allowed shape of a SAML response, checked on the raw document before any signature is
//! verified. XML signature wrapping (XSW) attacks hide a second `Response` or `Assertion` beside,
//! inside or under the signed one, or move the signature into an `Object`; comments split a NameID
//! so that the signed text and the read text differ. A response must be exactly: one
//! `samlp:Response` root; one `saml:Assertion`, its direct child; at most one `ds:Signature` as a
//! direct child of each of them, each with one `Reference` to its own parent's `ID`, with strong
//! algorithms only; no comment, DTD, processing instruction, CDATA or `ds:Object` anywhere.
//!
//! Nothing read here is trusted: it only rejects. The assertion is read from the verified XML.

use quick_xml::{
    NsReader, XmlVersion,
    events::{BytesStart, Event},
    name::{Namespace, ResolveResult},
};

use super::STRONG_ALGORITHMS;

const PROTOCOL: &[u8] = b"urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION: &[u8] = b"urn:oasis:names:tc:SAML:2.0:assertion";
const DSIG: &[u8] = b"http://www.w3.org/2000/09/xmldsig#";

/// What the raw document says, for checks that only ever reject.
#[derive(Debug, Default)]
pub struct Shape {
    /// The `ID` of the one assertion.
    pub assertion_id: String,
    /// The response's `Destination`, if any.
    pub destination: Option<String>,
    /// The first `InResponseTo` seen (response or subject confirmation): a lookup hint only.
    pub in_response_to: Option<String>,
}

/// Why a document has the wrong shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not well-formed XML, or not a SAML response.
    Malformed,
    /// A forbidden construct or a wrapped element (XSW, comments, DTD, ...).
    Structure,
    /// A signature or digest algorithm weaker than SHA-256 (or unknown).
    WeakAlgorithm,
    /// An encrypted assertion (not supported).
    Encrypted,
}

struct Open {
    ns: Option<Vec<u8>>,
    name: Vec<u8>,
    id: Option<String>,
    signatures: usize,
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Result<Option<String>, Refusal> {
    for a in e.attributes() {
        let a = a.map_err(|_| Refusal::Malformed)?;
        if a.key.as_ref() == name {
            return Ok(Some(
                a.normalized_value(XmlVersion::Implicit1_0)
                    .map_err(|_| Refusal::Malformed)?
                    .into_owned(),
            ));
        }
    }
    Ok(None)
}

/// Checks the shape of a response document.
pub fn check(xml: &str) -> Result<Shape, Refusal> {
    let mut reader = NsReader::from_str(xml);
    let mut stack: Vec<Open> = Vec::new();
    let mut shape = Shape::default();
    let (mut responses, mut assertions, mut references) = (0usize, 0usize, 0usize);
    // The parent ID a signature's single Reference must point at, while inside that signature.
    let mut signature_target: Option<String> = None;
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|_| Refusal::Malformed)?;
        let ns = match ns {
            ResolveResult::Bound(Namespace(n)) => Some(n.to_vec()),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(_) => return Err(Refusal::Malformed),
        };
        let (e, empty) = match event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                let closed = stack.pop().ok_or(Refusal::Malformed)?;
                if closed.ns.as_deref() == Some(DSIG) && closed.name == b"Signature" {
                    signature_target = None;
                }
                continue;
            }
            Event::Text(_) | Event::Decl(_) => continue,
            Event::GeneralRef(r) => {
                let name: &[u8] = &r;
                let known =
                    r.is_char_ref() || matches!(name, b"amp" | b"lt" | b"gt" | b"quot" | b"apos");
                if known {
                    continue;
                }
                return Err(Refusal::Structure);
            }
            Event::Eof => break,
            Event::Comment(_) | Event::CData(_) | Event::PI(_) | Event::DocType(_) => {
                return Err(Refusal::Structure);
            }
        };
        let local = e.local_name().as_ref().to_vec();
        let depth = stack.len();
        let id = attr(&e, b"ID")?;
        match (ns.as_deref(), local.as_slice()) {
            (Some(PROTOCOL), b"Response") => {
                responses += 1;
                if depth != 0 || responses > 1 {
                    return Err(Refusal::Structure);
                }
                shape.destination = attr(&e, b"Destination")?;
                shape.in_response_to = attr(&e, b"InResponseTo")?;
            }
            (_, b"Response") => return Err(Refusal::Structure),
            (Some(ASSERTION), b"Assertion") => {
                assertions += 1;
                if depth != 1 || assertions > 1 {
                    return Err(Refusal::Structure);
                }
                shape.assertion_id = id.clone().ok_or(Refusal::Malformed)?;
            }
            (_, b"Assertion") => return Err(Refusal::Structure),
            (_, b"EncryptedAssertion") => return Err(Refusal::Encrypted),
            (Some(ASSERTION), b"SubjectConfirmationData") if shape.in_response_to.is_none() => {
                shape.in_response_to = attr(&e, b"InResponseTo")?;
            }
            (Some(DSIG), b"Signature") => {
                let parent = stack.last_mut().ok_or(Refusal::Structure)?;
                let parent_ok = matches!(
                    (parent.ns.as_deref(), parent.name.as_slice()),
                    (Some(PROTOCOL), b"Response") | (Some(ASSERTION), b"Assertion")
                );
                parent.signatures += 1;
                if !parent_ok || parent.signatures > 1 || signature_target.is_some() {
                    return Err(Refusal::Structure);
                }
                signature_target = Some(parent.id.clone().ok_or(Refusal::Structure)?);
                references = 0;
            }
            (Some(DSIG), b"Object" | b"Manifest") => return Err(Refusal::Structure),
            (Some(DSIG), b"Reference") => {
                references += 1;
                let target = signature_target.as_deref().ok_or(Refusal::Structure)?;
                if references > 1
                    || attr(&e, b"URI")?
                        .as_deref()
                        .and_then(|u| u.strip_prefix('#'))
                        != Some(target)
                {
                    return Err(Refusal::Structure);
                }
            }
            (Some(DSIG), b"SignatureMethod" | b"DigestMethod") => {
                let alg = attr(&e, b"Algorithm")?.unwrap_or_default();
                let strong = STRONG_ALGORITHMS.iter().any(|a| {
                    if local == b"SignatureMethod" {
                        a.signature_uri() == alg
                    } else {
                        a.digest_uri() == alg
                    }
                });
                if !strong {
                    return Err(Refusal::WeakAlgorithm);
                }
            }
            _ if depth == 0 => return Err(Refusal::Malformed),
            _ => {}
        }
        if !empty {
            stack.push(Open {
                ns,
                name: local,
                id,
                signatures: 0,
            });
        }
    }
    if responses != 1 || assertions != 1 || !stack.is_empty() {
        return Err(if responses == 1 && stack.is_empty() {
            Refusal::Structure
        } else {
            Refusal::Malformed
        });
    }
    Ok(shape)
}

#[cfg(test)]
mod tests {
    use super::{Refusal, check};

    const SIG: &str = concat!(
        r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>"##,
        r##"<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>"##,
        r##"<ds:Reference URI="#a1"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/></ds:Reference>"##,
        r##"</ds:SignedInfo></ds:Signature>"##
    );

    fn response(assertion_inner: &str, after: &str) -> String {
        format!(
            r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="r1" Destination="https://sp/acs"><saml:Assertion ID="a1">{assertion_inner}</saml:Assertion>{after}</samlp:Response>"#
        )
    }

    #[test]
    fn the_one_allowed_shape_passes() {
        let shape = check(&response(
            &format!("<saml:Issuer>idp</saml:Issuer>{SIG}"),
            "",
        ))
        .expect("allowed");
        assert_eq!(
            (shape.assertion_id.as_str(), shape.destination.as_deref()),
            ("a1", Some("https://sp/acs"))
        );
    }

    #[test]
    fn wrapping_comments_dtds_and_sha1_are_refused() {
        let comment = response(
            &format!(
                "{SIG}<saml:Subject><saml:NameID>admin@corp.com<!---->.evil.com</saml:NameID></saml:Subject>"
            ),
            "",
        );
        assert_eq!(check(&comment).err(), Some(Refusal::Structure));
        let second = response(SIG, r#"<saml:Assertion ID="a2"/>"#);
        assert_eq!(check(&second).err(), Some(Refusal::Structure));
        let nested = response(&format!(r#"{SIG}<saml:Assertion ID="a2"/>"#), "");
        assert_eq!(check(&nested).err(), Some(Refusal::Structure));
        let dtd = format!("<!DOCTYPE x [<!ENTITY e \"x\">]>{}", response(SIG, ""));
        assert_eq!(check(&dtd).err(), Some(Refusal::Structure));
        let sha1 = response(
            &SIG.replace("xmldsig-more#rsa-sha256", "xmldsig#rsa-sha1"),
            "",
        );
        assert_eq!(check(&sha1).err(), Some(Refusal::WeakAlgorithm));
        let elsewhere = response(&SIG.replace("#a1", "#r1"), "");
        assert_eq!(check(&elsewhere).err(), Some(Refusal::Structure));
        assert_eq!(
            check(
                "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"a\"/>"
            )
            .err(),
            Some(Refusal::Structure)
        );
        assert_eq!(check("not xml").err(), Some(Refusal::Malformed));
    }
}
