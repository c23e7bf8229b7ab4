//! Ingest logic that needs the table contract but no AWS calls: which workspace a key names, the import id of an
//! object, and the items a row read by [`creatoros_formats`] becomes.

pub mod import_id;
pub mod items;
pub mod migration;
pub mod object_key;
