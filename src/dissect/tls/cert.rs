//! Names of the server's leaf certificate (subject CN, subjectAltName DNS names), read with
//! `x509-parser`. They name the server when the client sent no SNI.
//!
//! Only the subjectAltName extension is decoded: the certificate is parsed without decoding the
//! other extensions' contents ("deep parsing"), which changes nothing here — x509-parser turns a
//! failed extension decoding into a `ParseError` value, never into a failed certificate, and
//! decodes the subjectAltName with the same parser as [`SubjectAlternativeName::from_der`].

use x509_parser::certificate::X509CertificateParser;
use x509_parser::extensions::{GeneralName, SubjectAlternativeName};
use x509_parser::nom::Parser;
use x509_parser::oid_registry::OID_X509_EXT_SUBJECT_ALT_NAME;
use x509_parser::prelude::FromDer;

use crate::dissect::limits::tls::{MAX_CERT_NAME_LEN, MAX_CERT_NAMES};

/// Subject common names, then subjectAltName DNS names, in certificate order, without duplicates,
/// capped in count and length (longer names are dropped, not cut: a cut name would be wrong).
pub(crate) fn names(der: &[u8]) -> Result<Vec<String>, &'static str> {
    let (_, cert) = X509CertificateParser::new()
        .with_deep_parse_extensions(false)
        .parse(der)
        .map_err(|_| "certificate is not valid DER X.509")?;
    let mut out: Vec<String> = Vec::new();
    let mut push = |name: &str| {
        if out.len() < MAX_CERT_NAMES
            && name.len() <= MAX_CERT_NAME_LEN
            && !name.is_empty()
            && !out.iter().any(|known| known == name)
        {
            out.push(name.to_owned());
        }
    };
    for attribute in cert.subject().iter_common_name() {
        if let Ok(cn) = attribute.as_str() {
            push(cn);
        }
    }
    // An invalid or duplicated SAN extension leaves the CNs as the only names.
    let san = cert
        .get_extension_unique(&OID_X509_EXT_SUBJECT_ALT_NAME)
        .ok()
        .flatten()
        .and_then(|ext| SubjectAlternativeName::from_der(ext.value).ok());
    if let Some((_, san)) = san {
        for general_name in &san.general_names {
            if let GeneralName::DNSName(dns) = general_name {
                push(dns);
            }
        }
    }
    Ok(out)
}
