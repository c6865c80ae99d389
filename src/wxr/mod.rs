//! WordPress eXtended RSS (WXR 1.1/1.2): a streaming reader, the importer
//! that brings a WordPress site in, and the exporter that writes one out.

pub mod export;
pub mod import;
pub mod read;
