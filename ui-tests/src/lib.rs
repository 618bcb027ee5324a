//! Nothing here: the package exists for its trybuild tests (`tests/ui.rs`, cases in `ui/`).
