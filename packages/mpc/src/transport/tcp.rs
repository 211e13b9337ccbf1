//! TCP transport between processes (filled in next).
