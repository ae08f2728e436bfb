//! Sans-IO parsers over byte slices: TLS, QUIC, DNS, HTTP/1. They read nothing but their arguments,
//! never panic, never allocate without a bound; every cap lives in [`limits`].

pub mod dns;
pub mod gquic;
pub mod http;
pub mod limits;
pub mod proxy;
pub mod quic;
pub mod session;
pub mod tls;
