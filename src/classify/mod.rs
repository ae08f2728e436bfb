//! From dissected facts to meaning: signatures (which provider), the IP→name cache fed by DNS,
//! geolocation, and the policy verdict. [`Classifier`] bundles them; it is consulted once per flow.

pub mod encrypted_dns;
pub mod geo;
pub mod names;
pub mod policy;
pub mod signatures;

use geo::{AsnDb, GeoDb};
use policy::Policy;
use signatures::{Match, MatchRecord, Provider, ProviderRecord, Signatures};
use std::net::IpAddr;

/// The loaded signature set, policy and databases.
pub struct Classifier {
    pub signatures: Signatures,
    pub policy: Policy,
    pub geo: GeoDb,
    pub asn: Option<AsnDb>,
}

impl Default for Classifier {
    /// The shipped defaults: embedded signatures, policy and country database.
    fn default() -> Self {
        Classifier {
            signatures: Signatures::embedded(),
            policy: Policy::embedded(),
            geo: GeoDb::embedded(),
            asn: None,
        }
    }
}

/// What classification adds to a flow record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Classification {
    pub provider: Option<ProviderRecord>,
    pub matched: Option<MatchRecord>,
    pub restricted: bool,
    pub policy_rule: String,
    pub dst_country: String,
    pub dst_asn: Option<u32>,
    pub dst_as_org: Option<String>,
}

/// What the run summary reads of a classification besides the country: [`Classifier::classify`]'s
/// provider and restriction, borrowed and unformatted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SummaryClass<'a> {
    pub provider: Option<&'a Provider>,
    /// Index of `provider` in the signature set's [`Signatures::providers`].
    pub provider_index: Option<usize>,
    pub restricted: bool,
}

impl Classifier {
    /// Classifies a flow by its names (most trusted first), then its server address, then its JA4.
    pub fn classify(&self, names: &[&str], server: IpAddr, ja4: Option<&str>) -> Classification {
        let sigs = &self.signatures;
        let hit = names
            .iter()
            .find_map(|n| sigs.match_name(n).map(|m| (m, (*n).to_string())))
            .or_else(|| sigs.match_addr(server).map(|m| (m, server.to_string())))
            .or_else(|| ja4.and_then(|j| sigs.match_ja4(j).map(|m| (m, j.to_string()))));
        let verdict = self.policy.verdict(hit.as_ref().map(|(m, _)| m.provider));
        let asn = self
            .asn
            .as_ref()
            .and_then(|db| db.lookup(server).ok().flatten());
        Classification {
            provider: hit.as_ref().map(|(m, _)| ProviderRecord::from(m.provider)),
            matched: hit.as_ref().map(|(m, value)| m.record(value)),
            restricted: verdict.restricted,
            policy_rule: verdict.rule,
            dst_country: self.geo.lookup(server).as_str().to_string(),
            dst_asn: asn.map(|a| a.number),
            dst_as_org: asn.and_then(|a| a.organization.map(str::to_string)),
        }
    }

    /// [`Classifier::classify`] for callers that read only the provider and the restriction (the
    /// run summary, which looks the country up itself through a [`geo::GeoCache`]): the same
    /// lookups in the same order, without the AS lookup, the matched value or the policy rule's
    /// text. The JA4 is computed only if nothing else matched.
    pub fn classify_summary(
        &self,
        names: &[&str],
        server: IpAddr,
        ja4: impl FnOnce() -> Option<String>,
    ) -> SummaryClass<'_> {
        let hit = self.lookup(names, server, ja4);
        let provider = hit.map(|m| m.provider);
        SummaryClass {
            provider,
            provider_index: hit.map(|m| m.provider_index),
            restricted: self.policy.restricts(provider),
        }
    }

    fn lookup(
        &self,
        names: &[&str],
        server: IpAddr,
        ja4: impl FnOnce() -> Option<String>,
    ) -> Option<Match<'_>> {
        let sigs = &self.signatures;
        names
            .iter()
            .find_map(|n| sigs.match_name(n))
            .or_else(|| sigs.match_addr(server))
            .or_else(|| ja4().and_then(|j| sigs.match_ja4(&j)))
    }
}
