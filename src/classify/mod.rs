//! From dissected facts to meaning: signatures (which provider), the IP→name cache fed by DNS,
//! geolocation, and the policy verdict.

pub mod encrypted_dns;
pub mod geo;
pub mod names;
pub mod policy;
pub mod signatures;
