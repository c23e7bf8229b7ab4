//! Nothing but targets: the criterion benches are in `benches/`, the stack bench binaries in `src/bin/`.
