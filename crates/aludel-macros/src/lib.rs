//! Procedural macros for aludel. The `#[model]` attribute arrives with the ORM.
