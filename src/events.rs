//! Numbered operational events (ids and names from the seeds' event table).
