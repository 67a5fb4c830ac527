//! Engine: URLs, pool, connections, transactions, results.
