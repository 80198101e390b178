//! The Max host of the pyrus engine (in the making; `tests/max_package.rs`
//! checks the Max package that `build/lib.sh`'s `package_max` lays out).
