//! Every cap on what a dissector reads or keeps, in one place.
