//! A test SAML identity provider: an RSA key and self-signed certificate made with the `openssl`
//! command line, responses written from templates, and signatures made by the `xmlsec1` command
//! line (libxmlsec1's own tool, independent of the server's samael code path).

use std::{path::PathBuf, process::Command};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use chrono::{DateTime, Duration, SecondsFormat, Utc};

/// A signing identity of the test IdP.
#[derive(Debug)]
pub struct TestIdp {
    dir: tempfile::TempDir,
    pub entity_id: String,
}

/// Which algorithms a signature uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    RsaSha256,
    RsaSha1,
}

/// What an assertion says; every field can be made wrong for a test.
#[derive(Debug, Clone)]
pub struct Claims {
    pub response_id: String,
    pub assertion_id: String,
    pub issuer: String,
    pub name_id: String,
    pub audience: String,
    pub recipient: String,
    pub destination: String,
    pub in_response_to: Option<String>,
    pub issue_instant: DateTime<Utc>,
    pub not_before: DateTime<Utc>,
    pub not_on_or_after: DateTime<Utc>,
    /// `(name, values)` attributes.
    pub attributes: Vec<(String, Vec<String>)>,
}

fn t(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn fresh_id() -> String {
    format!("_{}", uuid::Uuid::now_v7().simple())
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .expect("run a test IdP tool (openssl, xmlsec1)");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The signature template xmlsec1 fills in: enveloped, exclusive c14n, one reference to `id`.
pub fn signature_template(id: &str, alg: Alg) -> String {
    let (sig, digest) = match alg {
        Alg::RsaSha256 => (
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "http://www.w3.org/2001/04/xmlenc#sha256",
        ),
        Alg::RsaSha1 => (
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            "http://www.w3.org/2000/09/xmldsig#sha1",
        ),
    };
    format!(
        r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="{sig}"/><ds:Reference URI="#{id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate></ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>"##
    )
}

impl Claims {
    /// Valid claims for `name_id` at the SP whose entity ID and ACS URL are given.
    pub fn new(
        idp: &TestIdp,
        sp_entity_id: &str,
        acs_url: &str,
        name_id: &str,
        in_response_to: Option<&str>,
    ) -> Claims {
        let now = Utc::now();
        Claims {
            response_id: fresh_id(),
            assertion_id: fresh_id(),
            issuer: idp.entity_id.clone(),
            name_id: name_id.to_owned(),
            audience: sp_entity_id.to_owned(),
            recipient: acs_url.to_owned(),
            destination: acs_url.to_owned(),
            in_response_to: in_response_to.map(str::to_owned),
            issue_instant: now,
            not_before: now - Duration::seconds(30),
            not_on_or_after: now + Duration::minutes(5),
            attributes: Vec::new(),
        }
    }

    /// The assertion, with `signature` (a template or nothing) after its Issuer.
    pub fn assertion(&self, signature: &str) -> String {
        let irt = self
            .in_response_to
            .as_deref()
            .map(|i| format!(r#" InResponseTo="{i}""#))
            .unwrap_or_default();
        let attrs: String = self
            .attributes
            .iter()
            .map(|(n, vs)| {
                let values: String = vs
                    .iter()
                    .map(|v| format!("<saml:AttributeValue>{v}</saml:AttributeValue>"))
                    .collect();
                format!(r#"<saml:Attribute Name="{n}">{values}</saml:Attribute>"#)
            })
            .collect();
        let attrs = if attrs.is_empty() {
            attrs
        } else {
            format!("<saml:AttributeStatement>{attrs}</saml:AttributeStatement>")
        };
        format!(
            concat!(
                r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="{now}">"#,
                r#"<saml:Issuer>{issuer}</saml:Issuer>{sig}<saml:Subject>"#,
                r#"<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{name_id}</saml:NameID>"#,
                r#"<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">"#,
                r#"<saml:SubjectConfirmationData{irt} NotOnOrAfter="{noa}" Recipient="{recipient}"/></saml:SubjectConfirmation></saml:Subject>"#,
                r#"<saml:Conditions NotBefore="{nb}" NotOnOrAfter="{noa}"><saml:AudienceRestriction><saml:Audience>{aud}</saml:Audience>"#,
                r#"</saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{now}"><saml:AuthnContext>"#,
                r#"<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>"#,
                r#"</saml:AuthnContext></saml:AuthnStatement>{attrs}</saml:Assertion>"#
            ),
            id = self.assertion_id,
            now = t(self.issue_instant),
            issuer = self.issuer,
            sig = signature,
            name_id = self.name_id,
            irt = irt,
            noa = t(self.not_on_or_after),
            nb = t(self.not_before),
            recipient = self.recipient,
            aud = self.audience,
            attrs = attrs,
        )
    }

    /// The response around `assertion`, with `signature` after its Issuer.
    pub fn response(&self, signature: &str, assertion: &str) -> String {
        let irt = self
            .in_response_to
            .as_deref()
            .map(|i| format!(r#" InResponseTo="{i}""#))
            .unwrap_or_default();
        format!(
            concat!(
                r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" "#,
                r#"ID="{id}" Version="2.0" IssueInstant="{now}" Destination="{dest}"{irt}><saml:Issuer>{issuer}</saml:Issuer>{sig}"#,
                r#"<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>{assertion}</samlp:Response>"#
            ),
            id = self.response_id,
            now = t(self.issue_instant),
            dest = self.destination,
            irt = irt,
            issuer = self.issuer,
            sig = signature,
            assertion = assertion,
        )
    }
}

impl TestIdp {
    /// A new IdP with its own 2048-bit RSA key.
    pub fn new(entity_id: &str) -> TestIdp {
        let dir = tempfile::tempdir().expect("tempdir");
        run(Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=Vestibule test IdP",
            ])
            .arg("-keyout")
            .arg(dir.path().join("key.pem"))
            .arg("-out")
            .arg(dir.path().join("cert.pem")));
        TestIdp {
            dir,
            entity_id: entity_id.to_owned(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The signing certificate, PEM.
    pub fn cert_pem(&self) -> String {
        std::fs::read_to_string(self.path("cert.pem")).expect("cert.pem")
    }

    /// Signs every signature template in `xml` whose reference names an element of `ids` (xmlsec1 signs
    /// the templates it finds, innermost first when run once per element).
    pub fn sign(&self, xml: &str, element: &str) -> String {
        let input = self.path("in.xml");
        std::fs::write(&input, xml).expect("write the template");
        let id_attr = match element {
            "Assertion" => "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            _ => "urn:oasis:names:tc:SAML:2.0:protocol:Response",
        };
        let key = format!(
            "{},{}",
            self.path("key.pem").display(),
            self.path("cert.pem").display()
        );
        let out = run(Command::new("xmlsec1")
            .args(["--sign", "--privkey-pem", &key, "--id-attr:ID", id_attr])
            .arg(&input));
        let text = String::from_utf8(out).expect("UTF-8");
        // Drop the XML declaration xmlsec1 writes, so the result can be embedded.
        match text.strip_prefix("<?xml") {
            Some(rest) => rest
                .split_once("?>")
                .map_or(text.clone(), |(_, r)| r.trim_start().to_owned()),
            None => text,
        }
    }

    /// An assertion signed on its own (the usual IdP choice), in an unsigned response.
    pub fn assertion_signed(&self, c: &Claims, alg: Alg) -> String {
        let signed = self.sign(
            &c.assertion(&signature_template(&c.assertion_id, alg)),
            "Assertion",
        );
        c.response("", &signed)
    }

    /// A response signed as a whole, around an unsigned assertion.
    pub fn response_signed(&self, c: &Claims, alg: Alg) -> String {
        self.sign(
            &c.response(&signature_template(&c.response_id, alg), &c.assertion("")),
            "Response",
        )
    }
}

/// The `SAMLResponse` form value of a response document.
pub fn encode(xml: &str) -> String {
    STANDARD.encode(xml)
}
