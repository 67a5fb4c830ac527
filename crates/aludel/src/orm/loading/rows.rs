//! Loading the rows of a query that selects something other than one entity: each row
//! decoded in place by its [`Selection`] (entities through the identity map, columns
//! straight into their Rust types).

use crate::error::Result;
use crate::orm::loading::LoadOptions;
use crate::orm::mapper::ModelInfo;
use crate::orm::query::{Decoder, Selection};
use crate::orm::session::Session;
use crate::sql::Select;

impl Session {
    /// The rows of `stmt` (its columns those of `selection`), decoded by `selection`;
    /// run on the bind of `model` (the query's).
    pub(crate) fn load_rows<S: Selection>(
        &self,
        stmt: &Select,
        model: &'static ModelInfo,
        selection: &S,
        opts: &LoadOptions,
    ) -> Result<Vec<S::Output>> {
        let mut out = Vec::new();
        self.for_each_row_of(stmt, model, opts, &mut |session, identity, row| {
            let mut cx = Decoder {
                session,
                identity,
                populate_existing: opts.populate_existing,
            };
            out.push(selection.decode(&mut cx, row, 0)?);
            Ok(())
        })?;
        Ok(out)
    }
}
